import CinergyCalibration
import CinergyCore
import Foundation
import Testing

/// The fit against published data: SPECpower_ssj2008 curves fitted on 0, 20, …, 100 % and asked for
/// 10, 30, …, 90 %, beside plain interpolation (the polynomial of degree 5 through the 6 points: the
/// lowest training error, the research notebook's rule); and a simulated stand-in meter with 1 %
/// noise at 11 levels. Two sets of curves: Fixtures/specpower-ssj2008.csv, the set the method was
/// designed on, and Fixtures/specpower-ssj2008-check.csv, gathered afterwards and only measured.
/// The figures are printed: `swift test --skip-build --filter SPECpowerEvaluationTests`
/// (docs/CALIBRATION.md).
@Suite("SPECpower evaluation of the fit", .serialized)
struct SPECpowerEvaluationTests {
    struct Server {
        let name: String
        /// The result page and where the numbers were read.
        let source: String
        /// Whether the row comes from CloudSim's own classes (the first curves the method was designed on).
        let fromCloudSim: Bool
        /// Whether its result page is also cited elsewhere for a different curve (check set only).
        let sharedPage: Bool
        let watts: [Double]

        /// The spec.org result page the row names.
        var resultPage: String { String(source.prefix { $0 != " " }) }
    }

    /// The rows of a fixture file.
    static func servers(_ file: String = "specpower-ssj2008.csv") throws -> [Server] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(file)").path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return Server(
                name: String(cells[0]), source: String(cells[1]), fromCloudSim: cells[1].contains("CloudSim"),
                sharedPage: cells[1].contains("shared page"), watts: cells.suffix(11).compactMap { Double($0) })
        }
    }

    /// The held-out errors of one set, in percent of the published watts, at 10, 30, 50, 70 and 90 %
    /// (one row of five per server).
    struct Evaluation {
        /// `cinergy calibrate`'s fitter.
        var fit: [[Double]] = []
        /// The degree it chose, per server.
        var degrees: [Int] = []
        /// Interpolation (degree 5 through the 6 points).
        var interpolation: [[Double]] = []
        /// The signed errors at the 10 % level (prediction above the published watts: positive), per
        /// server: fit, interpolation.
        var signedAtTen: [(fit: Double, interpolation: Double)] = []
        /// The same monotone fit at the degree (1 to 8) that, in hindsight, has the smallest mean
        /// error on the held-out levels: a bound on what any rule for choosing the degree can reach.
        var hindsight: [[Double]] = []
        /// The same monotone fit at each degree, whatever the held-out levels say: `byDegree[n]`.
        var byDegree: [Int: [[Double]]] = [:]

        /// How many predictions are more than `percent` off however each server's degree (1 to 8)
        /// is chosen: the sum over servers of the fewest such predictions any one degree makes.
        func unavoidable(above percent: Double) -> Int {
            (0..<fit.count).map { server in byDegree.values.map { $0[server].filter { $0 > percent }.count }.min() ?? 0 }.reduce(0, +)
        }
        /// The fitter with another tolerance of its degree rule: `byTolerance[share]`.
        var byTolerance: [Double: [[Double]]] = [:]
        /// The fitter given all 11 levels (as a default `cinergy calibrate` run measures them): its
        /// errors at those levels, 0 to 100 %.
        var allLevels: [[Double]] = []
    }

    /// Tolerances of the degree rule (`PolynomialFitter.toleranceShare`) weighed beside the default.
    static let otherTolerances = [0.0, 0.5]

    static let heldOutIndices = Array(stride(from: 1, through: 9, by: 2))

    static func evaluate(_ servers: [Server]) throws -> Evaluation {
        var evaluation = Evaluation()
        func errors(_ predict: (Double) -> Double, _ server: Server) -> [Double] {
            heldOutIndices.map { abs(predict(Double($0 * 10)) - server.watts[$0]) / server.watts[$0] * 100 }
        }
        for server in servers {
            let training = stride(from: 0, through: 10, by: 2).map { CalibrationPoint(loadPercent: Double($0 * 10), watts: server.watts[$0]) }
            let report = try PolynomialFitter().fit(training)
            #expect(PowerCurve.shapeProblems(report.polynomial, upTo: 100).isEmpty, "\(server.name)")
            let interpolation = try #require(LeastSquares.fit(x: training.map(\.loadPercent), y: training.map(\.watts), degree: 5))
            evaluation.fit.append(errors({ report.polynomial($0) }, server))
            evaluation.degrees.append(report.degree)
            evaluation.interpolation.append(errors({ interpolation($0) }, server))
            evaluation.signedAtTen.append(
                (fit: (report.polynomial(10) - server.watts[1]) / server.watts[1] * 100,
                 interpolation: (interpolation(10) - server.watts[1]) / server.watts[1] * 100))
            let byDegree = try (1...PolynomialFitter().maxDegree).map { degree in
                let polynomial = try #require(
                    MonotoneBernsteinFit.fit(x: training.map(\.loadPercent), y: training.map(\.watts), degree: degree, inputMax: 100))
                return errors({ polynomial($0) }, server)
            }
            evaluation.hindsight.append(byDegree.min { $0.reduce(0, +) < $1.reduce(0, +) }!)
            for (index, errors) in byDegree.enumerated() { evaluation.byDegree[index + 1, default: []].append(errors) }
            let all = (0...10).map { CalibrationPoint(loadPercent: Double($0 * 10), watts: server.watts[$0]) }
            let allReport = try PolynomialFitter().fit(all)
            evaluation.allLevels.append((0...10).map { abs(allReport.polynomial(Double($0 * 10)) - server.watts[$0]) / server.watts[$0] * 100 })
            for share in otherTolerances {
                let other = try PolynomialFitter(toleranceShare: share).fit(training)
                evaluation.byTolerance[share, default: []].append(errors({ other.polynomial($0) }, server))
            }
        }
        return evaluation
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

    /// "median m %, p90 p %, mean a %" of the errors.
    static func summary(_ errors: [Double]) -> String {
        "median \(format(percentile(errors, 50))) %, p90 \(format(percentile(errors, 90))) %, "
            + "mean \(format(errors.reduce(0, +) / Double(errors.count))) % (\(errors.count) values)"
    }

    /// Prints the per-server rows and the figures of one set; returns the evaluation.
    static func report(_ label: String, _ servers: [Server]) throws -> Evaluation {
        let evaluation = try evaluate(servers)
        print("\(label): server | degree | fit errors at 10,30,50,70,90 % | interpolation errors")
        for (index, server) in servers.enumerated() {
            print(
                "\(server.name) | \(evaluation.degrees[index]) | \(evaluation.fit[index].map(format).joined(separator: " ")) | "
                    + "\(evaluation.interpolation[index].map(format).joined(separator: " "))")
        }
        let withoutTen = { (rows: [[Double]]) in rows.flatMap { $0.dropFirst() } }
        print("\(label), \(servers.count) servers: fit \(summary(evaluation.fit.flatMap { $0 }))")
        print("\(label): interpolation (degree 5) \(summary(evaluation.interpolation.flatMap { $0 }))")
        print("\(label), without the 10 % level: fit \(summary(withoutTen(evaluation.fit))); interpolation \(summary(withoutTen(evaluation.interpolation)))")
        let count = Double(servers.count)
        print(
            "\(label): mean signed error at the 10 % level: fit \(format(evaluation.signedAtTen.map(\.fit).reduce(0, +) / count)) %, "
                + "interpolation \(format(evaluation.signedAtTen.map(\.interpolation).reduce(0, +) / count)) %")
        print("\(label): the monotone fit at the best degree in hindsight \(summary(evaluation.hindsight.flatMap { $0 }))")
        print(
            "\(label): predictions more than 3 % off whatever degree each server is given: "
                + "\(evaluation.unavoidable(above: 3)) of \(evaluation.fit.count * heldOutIndices.count)")
        for degree in evaluation.byDegree.keys.sorted() {
            print("\(label): the monotone fit at degree \(degree) always \(summary(evaluation.byDegree[degree]!.flatMap { $0 }))")
        }
        print(
            "\(label), fitted on all 11 levels: errors at those levels \(summary(evaluation.allLevels.flatMap { $0 })); "
                + "at the 10 % level \(summary(evaluation.allLevels.map { $0[1] }))")
        for share in otherTolerances {
            print("\(label): the fitter with a tolerance of \(format(share * 100)) % \(summary(evaluation.byTolerance[share]!.flatMap { $0 }))")
        }
        return evaluation
    }

    @Test("the training set: fitted on 0, 20, …, 100 % and predicting 10, 30, …, 90 %: median ≤ 1.5 %, p90 ≤ 3 %, better than interpolation")
    func heldOutLevels() throws {
        let servers = try Self.servers()
        #expect(servers.count >= 14 && servers.allSatisfy { $0.watts.count == 11 })
        let evaluation = try Self.report("SPECpower training set", servers)
        let fitErrors = evaluation.fit.flatMap { $0 }
        let interpolationErrors = evaluation.interpolation.flatMap { $0 }
        let (median, p90) = (Self.percentile(fitErrors, 50), Self.percentile(fitErrors, 90))
        let (interpolationMedian, interpolationP90) = (Self.percentile(interpolationErrors, 50), Self.percentile(interpolationErrors, 90))
        for (set, cloudSim) in [("CloudSim's curves", true), ("the others", false)] {
            let errors = zip(servers, evaluation.fit).filter { $0.0.fromCloudSim == cloudSim }.flatMap { $0.1 }
            if !errors.isEmpty { print("training set, fit on \(set): \(Self.summary(errors))") }
        }
        #expect(median <= 1.5)
        #expect(p90 <= 3)
        // Better than interpolation on the issue's figures, the median and the 90th percentile (the
        // mean is not: docs/CALIBRATION.md says why).
        #expect(median < interpolationMedian && p90 < interpolationP90)
    }

    /// The check set was gathered after the method was fixed and is only measured: the figures are
    /// those docs/CALIBRATION.md records (bounded on both sides, so that a change of the fitter that
    /// moves them is seen and the document updated), and the claim it makes is checked: on these
    /// curves no choice of degree for this fit reaches a 90th percentile of 3 %.
    @Test("the check set, not used in designing the method: the figures docs/CALIBRATION.md records")
    func checkSet() throws {
        let servers = try Self.servers("specpower-ssj2008-check.csv")
        let training = try Self.servers()
        #expect(servers.count >= 30 && servers.allSatisfy { $0.watts.count == 11 })
        // No server of the training set again: neither a name nor a result page.
        #expect(Set(servers.map(\.name)).isDisjoint(with: training.map(\.name)))
        #expect(Set(servers.map(\.resultPage)).isDisjoint(with: training.map(\.resultPage)))
        let evaluation = try Self.report("SPECpower check set", servers)
        let unshared = servers.indices.filter { !servers[$0].sharedPage }
        print("SPECpower check set without the rows of a shared result page: fit \(Self.summary(unshared.flatMap { evaluation.fit[$0] }))")
        print("SPECpower check set without the rows of a shared result page: interpolation \(Self.summary(unshared.flatMap { evaluation.interpolation[$0] }))")
        let fitErrors = evaluation.fit.flatMap { $0 }
        let median = Self.percentile(fitErrors, 50)
        let p90 = Self.percentile(fitErrors, 90)
        #expect(median > 1 && median <= 1.5)
        #expect(p90 > 5 && p90 < 8)
        // The 3 % target is out of reach of this family of fits here: whatever degree each curve is
        // given, the predictions more than 3 % off reach down to the 90th percentile's lower rank
        // (16 of 150), so that it is above 3 % under any rule for choosing the degree.
        let lowerRank = Int((0.9 * Double(fitErrors.count - 1)).rounded(.down))
        #expect(evaluation.unavoidable(above: 3) >= fitErrors.count - lowerRank)
        #expect(Self.percentile(evaluation.hindsight.flatMap { $0 }, 90) > 3)
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
