import CinergyCalibration
import CinergyCore
import Testing

/// A deterministic noise source (a linear congruential generator), uniform in [-1, 1).
struct Noise {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
}

/// Points of `curve` at `levels`, `perLevel` each, loads jittered by ±`loadJitter` and watts by ±`noise`.
func samples(
    _ curve: (Double) -> Double, levels: [Double], perLevel: Int = 1, loadJitter: Double = 0, noise: Double = 0, seed: UInt64 = 7
) -> [CalibrationPoint] {
    var random = Noise(state: seed)
    var points: [CalibrationPoint] = []
    for level in levels {
        for _ in 0..<perLevel {
            let load = min(100, max(0, level + loadJitter * random.next()))
            points.append(CalibrationPoint(loadPercent: load, watts: curve(load) + noise * random.next()))
        }
    }
    return points
}

@Suite("Polynomial fit")
struct FitTests {
    static let tenPercentLevels = stride(from: 0.0, through: 100, by: 10).map { $0 }

    @Test("a line is degree 1 with its coefficients")
    func linear() throws {
        let report = try PolynomialFitter().fit(samples({ 30 + 0.8 * $0 }, levels: Self.tenPercentLevels, perLevel: 2, loadJitter: 0.5))
        #expect(report.degree == 1)
        #expect(abs(report.polynomial.coefficients[0] - 30) < 1e-6)
        #expect(abs(report.polynomial.coefficients[1] - 0.8) < 1e-8)
    }

    @Test("a rising quadratic is recovered exactly, at degree 2")
    func quadratic() throws {
        let curve = { (x: Double) in 40 + 0.9 * x - 0.002 * x * x }
        let report = try PolynomialFitter().fit(samples(curve, levels: Self.tenPercentLevels))
        #expect(report.degree == 2, "\(report.candidates)")
        for x in stride(from: 0.0, through: 100, by: 5) { #expect(abs(report.polynomial(x) - curve(x)) < 1e-6) }
    }

    @Test("a noisy cubic: values within 1 W, held-out error at least the in-sample one", arguments: [UInt64(1), 2, 3, 4, 5])
    func noisyCubic(seed: UInt64) throws {
        let cubic = { (x: Double) in 50 + 1.2 * x - 0.012 * x * x + 0.00006 * x * x * x }
        let points = samples(cubic, levels: Self.tenPercentLevels, perLevel: 10, loadJitter: 1, noise: 0.5, seed: seed)
        let report = try PolynomialFitter().fit(points)
        for x in [0.0, 50, 100] { #expect(abs(report.polynomial(x) - cubic(x)) < 1, "degree \(report.degree)") }
        #expect(report.mapeHeldOutPercent < 2)
    }

    @Test("noisy data of a quadratic stays within 2 % of it", arguments: [UInt64(11), 12, 13, 14, 15, 16])
    func noOverfit(seed: UInt64) throws {
        let curve = { (x: Double) in 40 + 0.9 * x - 0.002 * x * x }
        let points = samples(curve, levels: Self.tenPercentLevels, perLevel: 5, loadJitter: 1, noise: 1, seed: seed)
        let report = try PolynomialFitter().fit(points)
        for x in stride(from: 0.0, through: 100, by: 10) { #expect(abs(report.polynomial(x) - curve(x)) / curve(x) < 0.02) }
    }

    @Test("a curve that falls at the top gets a non-decreasing fit, flat where the data falls")
    func monotoneConstraint() throws {
        let falling = { (x: Double) in 20 + 2 * x - 0.0167 * x * x }  // peaks near 60 %
        let report = try PolynomialFitter().fit(samples(falling, levels: Self.tenPercentLevels, perLevel: 2, loadJitter: 0.5))
        #expect(PowerCurve.shapeProblems(report.polynomial, upTo: report.inputMax).isEmpty)
        #expect(abs(report.polynomial(30) - falling(30)) / falling(30) < 0.03)
    }

    @Test("the cinergy paper's quartic (it dips after 36 %) is fitted monotone down to 0 over its 0-37.5 % range")
    func paperQuartic() throws {
        let paper = Polynomial(coefficients: [11.24, 6.380, -0.3478, 0.009527, -9.82e-5])
        let levels = stride(from: 0.0, through: 37.5, by: 2.5).map { $0 }
        let report = try PolynomialFitter().fit(samples({ paper($0) }, levels: levels))
        #expect(PowerCurve.shapeProblems(report.polynomial, upTo: 37.5).isEmpty)
        for x in stride(from: 0.0, through: 35, by: 2.5) { #expect(abs(report.polynomial(x) - paper(x)) / paper(x) < 0.01, "at \(x)") }
        #expect(report.measuredRange == 0...37.5)
    }

    @Test("a meter that does not move with load is refused, never fitted with a constant")
    func flatMeter() {
        for curve in [{ (_: Double) in 52.5 }, { (x: Double) in 200 + 0.01 * x }] {
            #expect {
                try PolynomialFitter().fit(samples(curve, levels: Self.tenPercentLevels, perLevel: 3, loadJitter: 0.4, noise: 0.2))
            } throws: { error in
                guard case .untrustworthy(let reason) = error as? CalibrationError else { return false }
                return reason.contains("does not move with the load")
            }
        }
    }

    @Test("levels pressed together (a busy host) are refused, saying so")
    func pressedTogether() {
        let points = samples({ 40 + $0 }, levels: [92, 95, 98], perLevel: 5, loadJitter: 0.3)
        #expect {
            try PolynomialFitter().fit(points)
        } throws: { error in
            guard case .untrustworthy(let reason) = error as? CalibrationError else { return false }
            return reason.contains("pressed together")
        }
    }

    @Test("Lawson-Hanson NNLS: the unconstrained solution when it is non-negative, else the constrained optimum")
    func nonNegativeLeastSquares() throws {
        // y = 1 + 2x exactly: the unconstrained solution is non-negative.
        let x = [0.0, 1, 2, 3]
        let free = try #require(NonNegativeLeastSquares.solve(columns: [x.map { _ in 1 }, x], b: x.map { 1 + 2 * $0 }))
        #expect(abs(free[0] - 1) < 1e-12 && abs(free[1] - 2) < 1e-12)
        // y = 5 − x: the slope would be negative; the best non-negative fit is the mean, slope 0.
        let clamped = try #require(NonNegativeLeastSquares.solve(columns: [x.map { _ in 1 }, x], b: x.map { 5 - $0 }))
        #expect(abs(clamped[0] - 3.5) < 1e-12 && clamped[1] == 0)
    }

    @Test("Bernstein to power basis: the same polynomial")
    func powerBasis() {
        let polynomial = MonotoneBernsteinFit.powerBasis(bernstein: [10, 20, 25, 40], inputMax: 50)
        for t in stride(from: 0.0, through: 1, by: 0.125) {
            let bernstein = 10 * pow3(1 - t) + 3 * 20 * t * (1 - t) * (1 - t) + 3 * 25 * t * t * (1 - t) + 40 * t * t * t
            #expect(abs(polynomial(50 * t) - bernstein) < 1e-9)
        }
    }

    @Test("fewer than 3 load levels: an error saying how many are needed")
    func tooFewLevels() {
        let points = samples({ 40 + $0 }, levels: [0, 100], perLevel: 5, loadJitter: 0.3)
        #expect(throws: CalibrationError.tooFewLevels(found: 2, needed: 3)) { try PolynomialFitter().fit(points) }
        #expect(CalibrationError.tooFewLevels(found: 2, needed: 3).description.contains("at least 3 distinct load levels"))
        #expect(Calibration.exitStatus(.tooFewLevels(found: 2, needed: 3)) == 65)
        #expect(Calibration.exitStatus(.untrustworthy("flat")) == 65)
    }

    @Test("levels are told apart by gaps of more than a percentage point")
    func levels() {
        let (levelOf, count) = LoadLevels.group([0.2, 10.1, 0.9, 9.6, 50, 50.8, 51.7])
        #expect(count == 3)
        #expect(levelOf == [0, 1, 0, 1, 2, 2, 2])
    }

    @Test("least squares: too few distinct loads for the degree gives nil")
    func rankDeficient() {
        #expect(LeastSquares.fit(x: [1, 1, 1, 2], y: [1, 2, 3, 4], degree: 2) == nil)
        #expect(LeastSquares.fit(x: [0, 1], y: [1, 3], degree: 1)?.coefficients.map { ($0 * 1e9).rounded() / 1e9 } == [1, 2])
    }
}

func pow3(_ value: Double) -> Double { value * value * value }

@Suite("Load levels of a run")
struct LoadLevelsTests {
    @Test("a run's points keep their planned level, however their loads scatter")
    func plannedLevels() {
        // Level 1's loads scatter by more than the 1 % gap: by load alone they would be 3 levels.
        let points = [(0.5, 0), (1.0, 0), (48.0, 1), (50.5, 1), (53.0, 1), (99.0, 2), (99.8, 2)].map {
            CalibrationPoint(loadPercent: $0.0, watts: 40 + $0.0, level: $0.1)
        }
        #expect(LoadLevels.of(points).count == 3)
        #expect(LoadLevels.group(points.map(\.loadPercent)).count == 5)
        // Recorded points (no plan) are grouped by their loads.
        #expect(LoadLevels.of(points.map { CalibrationPoint(loadPercent: $0.loadPercent, watts: $0.watts) }).count == 5)
    }

    @Test("planned levels a busy host pressed into one load are not counted apart")
    func busyHost() {
        let points = [(99.8, 0), (100.0, 1), (100.0, 2)].map { CalibrationPoint(loadPercent: $0.0, watts: 110, level: $0.1) }
        #expect(LoadLevels.of(points).count == 1)
    }
}
