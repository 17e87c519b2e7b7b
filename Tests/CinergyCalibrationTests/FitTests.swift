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

    @Test("a constant is degree 0")
    func constant() throws {
        let report = try PolynomialFitter().fit(samples({ _ in 52.5 }, levels: Self.tenPercentLevels, perLevel: 3, loadJitter: 0.4))
        #expect(report.degree == 0)
        #expect(abs(report.polynomial.coefficients[0] - 52.5) < 1e-9)
        #expect(report.rmseHeldOutWatts < 1e-9)
    }

    @Test("a line is degree 1 with its coefficients")
    func linear() throws {
        let report = try PolynomialFitter().fit(samples({ 30 + 0.8 * $0 }, levels: Self.tenPercentLevels, perLevel: 2, loadJitter: 0.5))
        #expect(report.degree == 1)
        #expect(abs(report.polynomial.coefficients[0] - 30) < 1e-8)
        #expect(abs(report.polynomial.coefficients[1] - 0.8) < 1e-10)
    }

    /// The published E5-2620 v4 model, fitted up to 37.5 % (it peaks at 36 %, a 0.2 % dip by 37.5 %).
    @Test("the cinergy paper's quartic over 0-37.5 % is recovered")
    func paperQuartic() throws {
        let paper = Polynomial(coefficients: [11.24, 6.380, -0.3478, 0.009527, -9.82e-5])
        let levels = stride(from: 0.0, through: 37.5, by: 2.5).map { $0 }
        let report = try PolynomialFitter().fit(samples({ paper($0) }, levels: levels))
        #expect(report.degree == 4)
        for (fitted, expected) in zip(report.polynomial.coefficients, paper.coefficients) {
            #expect(abs(fitted - expected) <= 1e-6 * abs(expected))
        }
        for x in stride(from: 0.0, through: 37.5, by: 0.5) { #expect(abs(report.polynomial(x) - paper(x)) < 1e-6) }
        #expect(report.measuredRange == 0...37.5)
    }

    @Test("a noisy cubic: degree 3 or 4 by held-out error, values within 1 W", arguments: [UInt64(1), 2, 3, 4, 5])
    func noisyCubic(seed: UInt64) throws {
        let cubic = { (x: Double) in 50 + 1.2 * x - 0.012 * x * x + 0.00006 * x * x * x }
        let points = samples(cubic, levels: Self.tenPercentLevels, perLevel: 10, loadJitter: 1, noise: 0.5, seed: seed)
        let report = try PolynomialFitter().fit(points)
        #expect((3...4).contains(report.degree), "degree \(report.degree): \(report.candidates)")
        for x in [0.0, 50, 100] { #expect(abs(report.polynomial(x) - cubic(x)) < 1) }
        #expect(report.rmseHeldOutWatts >= report.rmseInSampleWatts)
        #expect(report.mapeHeldOutPercent < 2)
    }

    @Test("noisy data of a quadratic is not over-fitted", arguments: [UInt64(11), 12, 13, 14, 15, 16])
    func noOverfit(seed: UInt64) throws {
        let curve = { (x: Double) in 40 + 0.9 * x - 0.002 * x * x }
        let points = samples(curve, levels: Self.tenPercentLevels, perLevel: 5, loadJitter: 1, noise: 1, seed: seed)
        let report = try PolynomialFitter().fit(points)
        #expect((1...3).contains(report.degree), "degree \(report.degree): \(report.candidates)")
        for x in [0.0, 50, 100] { #expect(abs(report.polynomial(x) - curve(x)) / curve(x) < 0.02) }
    }

    @Test("a curve that falls at the top gets an admissible (non-decreasing, non-negative) fit")
    func monotoneConstraint() throws {
        let falling = { (x: Double) in 20 + 2 * x - 0.0167 * x * x }  // peaks near 60 %
        let report = try PolynomialFitter().fit(samples(falling, levels: Self.tenPercentLevels, perLevel: 2, loadJitter: 0.5))
        #expect(PolynomialFitter.isAdmissible(report.polynomial, over: report.measuredRange))
        #expect(report.candidates.contains { $0.degree == 2 && !$0.isAdmissible })
        #expect(report.degree < 2)
    }

    @Test("admissibility: negative or clearly decreasing is rejected, a flat wobble is not")
    func admissibility() {
        #expect(!PolynomialFitter.isAdmissible(Polynomial(coefficients: [-1, 1]), over: 0...100))
        #expect(!PolynomialFitter.isAdmissible(Polynomial(coefficients: [100, -0.5]), over: 0...100))
        #expect(PolynomialFitter.isAdmissible(Polynomial(coefficients: [100, 0]), over: 0...100))
        #expect(PolynomialFitter.isAdmissible(Polynomial(coefficients: [100, -0.001]), over: 0...100))
    }

    @Test("fewer than 3 load levels: an error saying how many are needed")
    func tooFewLevels() {
        let points = samples({ 40 + $0 }, levels: [0, 100], perLevel: 5, loadJitter: 0.3)
        #expect(throws: CalibrationError.tooFewLevels(found: 2, needed: 3)) { try PolynomialFitter().fit(points) }
        #expect(CalibrationError.tooFewLevels(found: 2, needed: 3).description.contains("at least 3 distinct load levels"))
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
