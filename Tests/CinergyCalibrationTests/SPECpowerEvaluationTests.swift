import CinergyCalibration
import CinergyCore
import Foundation
import Testing

/// The fit against published data: SPECpower_ssj2008 curves (Fixtures/specpower-ssj2008.csv), fitted
/// on 0, 20, …, 100 % and asked for 10, 30, …, 90 %, beside plain interpolation (the polynomial of
/// degree 5 through the 6 points: the lowest training error, the research notebook's rule); and a
/// simulated stand-in meter with 1 % noise at 11 levels. The figures are printed:
/// `swift test --skip-build --filter SPECpowerEvaluationTests` (docs/CALIBRATION.md).
@Suite("SPECpower evaluation of the fit", .serialized)
struct SPECpowerEvaluationTests {
    struct Server {
        let name: String
        /// Whether the row comes from CloudSim's own classes (the set the method was designed on).
        let fromCloudSim: Bool
        let watts: [Double]
    }

    static func servers() throws -> [Server] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/specpower-ssj2008.csv").path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return Server(name: String(cells[0]), fromCloudSim: cells[1].contains("CloudSim"), watts: cells.suffix(11).compactMap { Double($0) })
        }
    }

    /// The `p`-th percentile with linear interpolation between closest ranks (as numpy's default).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        let position = p / 100 * Double(sorted.count - 1)
        let low = Int(position.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }

    static func format(_ value: Double) -> String { String(format: "%.2f", value) }

    @Test("fitted on 0, 20, …, 100 % and predicting 10, 30, …, 90 %: median ≤ 1.5 %, p90 ≤ 3 %, better than interpolation")
    func heldOutLevels() throws {
        let servers = try Self.servers()
        #expect(servers.count >= 14 && servers.allSatisfy { $0.watts.count == 11 })
        var fitErrors: [Double] = []
        var interpolationErrors: [Double] = []
        var cloudSimErrors: [Double] = []
        var otherErrors: [Double] = []
        print("server | degree | fit errors at 10,30,50,70,90 % | interpolation errors")
        for server in servers {
            let training = stride(from: 0, through: 10, by: 2).map { CalibrationPoint(loadPercent: Double($0 * 10), watts: server.watts[$0]) }
            let report = try PolynomialFitter().fit(training)
            let interpolation = try #require(LeastSquares.fit(x: training.map(\.loadPercent), y: training.map(\.watts), degree: 5))
            #expect(PowerCurve.shapeProblems(report.polynomial, upTo: 100).isEmpty)
            var row: [Double] = []
            var interpolated: [Double] = []
            for index in stride(from: 1, through: 9, by: 2) {
                let load = Double(index * 10)
                let truth = server.watts[index]
                row.append(abs(report.polynomial(load) - truth) / truth * 100)
                interpolated.append(abs(interpolation(load) - truth) / truth * 100)
            }
            fitErrors += row
            if server.fromCloudSim { cloudSimErrors += row } else { otherErrors += row }
            interpolationErrors += interpolated
            print("\(server.name) | \(report.degree) | \(row.map(Self.format).joined(separator: " ")) | \(interpolated.map(Self.format).joined(separator: " "))")
        }
        let (median, p90) = (Self.percentile(fitErrors, 50), Self.percentile(fitErrors, 90))
        let (interpolationMedian, interpolationP90) = (Self.percentile(interpolationErrors, 50), Self.percentile(interpolationErrors, 90))
        let mean = fitErrors.reduce(0, +) / Double(fitErrors.count)
        let interpolationMean = interpolationErrors.reduce(0, +) / Double(interpolationErrors.count)
        print(
            "SPECpower, \(servers.count) servers, \(fitErrors.count) held-out levels: fit median \(Self.format(median)) %, p90 \(Self.format(p90)) %, "
                + "mean \(Self.format(mean)) %; interpolation (degree 5) median \(Self.format(interpolationMedian)) %, "
                + "p90 \(Self.format(interpolationP90)) %, mean \(Self.format(interpolationMean)) %")
        for (set, errors) in [("CloudSim's curves", cloudSimErrors), ("the others", otherErrors)] where !errors.isEmpty {
            print("fit on \(set): median \(Self.format(Self.percentile(errors, 50))) %, p90 \(Self.format(Self.percentile(errors, 90))) %")
        }
        #expect(median <= 1.5)
        #expect(p90 <= 3)
        // Better than interpolation on the issue's figures, the median and the 90th percentile (the
        // mean is not: docs/CALIBRATION.md says why).
        #expect(median < interpolationMedian && p90 < interpolationP90)
    }

    @Test("a stand-in meter with 1 % noise at 11 levels: within 1 % of the true curve from 0 to 100 %", arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func standInMeter(seed: UInt64) throws {
        let curve = { (x: Double) in 40 + 0.9 * x - 0.002 * x * x }
        // Uniform noise of ±√3 % has a standard deviation of 1 %; 30 points a level, as a default run.
        var random = Noise(state: seed)
        var points: [CalibrationPoint] = []
        for level in stride(from: 0.0, through: 100, by: 10) {
            for _ in 0..<30 {
                let load = min(100, max(0, level + random.next()))
                points.append(CalibrationPoint(loadPercent: load, watts: curve(load) * (1 + 0.01 * 3.0.squareRoot() * random.next())))
            }
        }
        let report = try PolynomialFitter().fit(points)
        let worst = stride(from: 0.0, through: 100, by: 1).map { abs(report.polynomial($0) - curve($0)) / curve($0) * 100 }.max() ?? 0
        print("stand-in meter, 1 % noise, seed \(seed): degree \(report.degree), largest error \(Self.format(worst)) % of the true curve")
        #expect(worst < 1)
    }
}
