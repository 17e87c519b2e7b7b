import CinergyCalibration
import CinergyCore
import Testing

/// Whatever the points, calibrate either refuses with a reason or writes a curve that is
/// non-negative, non-decreasing and rising on `[0, MODEL_INPUT_MAX]`: never a decreasing, negative
/// or constant one. Random monotone and non-monotone data, fitted and checked as written
/// (`REG_COEFF` text read back).
@Suite("Fit properties over random data", .serialized)
struct FitPropertyTests {
    /// Monotone: `rising` (a line), `risingSteeply` (convex), `saturating` (concave, as SPECpower's
    /// curves), `randomClimb` (a random non-decreasing walk); not monotone: the others.
    enum Shape: CaseIterable { case rising, risingSteeply, saturating, randomClimb, falling, bump, zigzag, flat, randomWalk }

    /// Random points of `shape`: 3 to 12 levels in [0, 100], 1 to 5 points each, noise up to 3 %.
    static func points(_ shape: Shape, seed: UInt64) -> [CalibrationPoint] {
        var random = Noise(state: seed &* 2_654_435_761 &+ 17)
        func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * (random.next() + 1) / 2 }
        let levelCount = 3 + Int(uniform(0, 9.99))
        let top = uniform(30, 100)
        let levels = (0..<levelCount).map { top * Double($0) / Double(levelCount - 1) }
        let idle = uniform(5, 300)
        let span = uniform(0.05, 3) * idle
        let noise = uniform(0, 0.03)
        var walk = idle
        var climb = idle
        var points: [CalibrationPoint] = []
        for (index, level) in levels.enumerated() {
            let t = level / 100
            let step = random.next()
            walk = max(0, walk + span * step / 3)
            climb += span * abs(step) / 3
            let watts: Double =
                switch shape {
                case .rising: idle + span * t
                case .risingSteeply: idle + span * t * t * t * t
                case .saturating: idle + span * (2 * t - t * t)
                case .randomClimb: climb
                case .falling: idle + span * (1 - t)
                case .bump: idle + span * (1 - (2 * t - 1) * (2 * t - 1))
                case .zigzag: idle + span * (index % 2 == 0 ? 0 : 1)
                case .flat: idle
                case .randomWalk: walk
                }
            for _ in 0..<(1 + Int(uniform(0, 4.99))) {
                let load = min(100, max(0, level + uniform(-0.4, 0.4)))
                points.append(CalibrationPoint(loadPercent: load, watts: max(0, watts * (1 + noise * random.next()))))
            }
        }
        return points
    }

    @Test("never a decreasing, negative or constant curve", arguments: Shape.allCases)
    func neverBadShape(shape: Shape) throws {
        var fitted = 0
        var refused = 0
        for seed in UInt64(1)...40 {
            let points = Self.points(shape, seed: seed)
            let result = Result { () throws(CalibrationError) in try PolynomialFitter().fit(points) }
            guard case .success(let report) = result else {
                if case .failure(let error) = result {
                    switch error {
                    case .tooFewLevels, .untrustworthy: refused += 1
                    default: Issue.record("\(shape) seed \(seed): \(error)")
                    }
                }
                continue
            }
            fitted += 1
            // As written: REG_COEFF's text, read back.
            let fragment = EnvFragment(report: report, meter: "test", serverCores: 2, date: "now")
            let text = try #require(fragment.variables.first { $0.name == "REG_COEFF" }?.value)
            let written = Polynomial(coefficients: text.split(separator: ",").compactMap { Double($0) })
            #expect(written.coefficients.count == report.polynomial.coefficients.count)
            #expect(report.degree >= 1)
            let problems = PowerCurve.shapeProblems(written, upTo: report.inputMax)
            #expect(problems.isEmpty, "\(shape) seed \(seed): \(problems) for \(written.coefficients)")
            #expect(written(report.inputMax) > written(0), "\(shape) seed \(seed): not rising")
            // The same, checked here on a grid five times finer than the rule's, not through it:
            // never below 0 W, never falling, and rising by at least what calibrate requires (2 % of
            // the top), so never a constant in disguise.
            let grid = (0...10_000).map { written(report.inputMax * Double($0) / 10_000) }
            let rounding = 1e-9 * max(1, grid.map(abs).max() ?? 1)
            #expect(grid.allSatisfy { $0 >= -rounding }, "\(shape) seed \(seed): negative \(written.coefficients)")
            #expect(zip(grid, grid.dropFirst()).allSatisfy { $1 >= $0 - rounding }, "\(shape) seed \(seed): decreasing \(written.coefficients)")
            let top = grid.last ?? 0
            #expect(top - grid[0] >= 0.999 * PolynomialFitter.minimumRisePercent / 100 * top, "\(shape) seed \(seed): rises \(top - grid[0]) W to \(top) W")
        }
        // Not vacuous: monotone data is fitted (all 40 of the line, the concave and the random
        // climb when last run, 35 of the convex, whose flat start with 3 % noise can fall short of
        // the rise calibrate requires), falling and flat data refused (a monotone fit of them is
        // flat): 40 of 40 when last run.
        switch shape {
        case .rising, .saturating, .randomClimb, .risingSteeply: #expect(fitted >= 30, "\(shape): only \(fitted) of 40 fitted")
        case .falling, .flat: #expect(refused >= 30, "\(shape): only \(refused) of 40 refused")
        default: break
        }
    }
}
