import CinergyCore

/// Fits f(load) → watts: the degree is chosen by leave-one-level-out cross-validation (each load
/// level predicted by a fit on the others), not by training error, and only among fits that are
/// non-negative and non-decreasing over the measured range.
public struct PolynomialFitter: Sendable {
    /// The highest degree tried (fewer when there are too few levels: at most levels − 2).
    public var maxDegree: Int
    /// A degree is kept over a lower one only if it lowers the held-out RMSE by more than this share.
    public var improvementRequired: Double
    /// Distinct levels needed: 3, so that a straight line can be checked against a held-out level.
    public static let minimumLevels = 3

    public init(maxDegree: Int = 6, improvementRequired: Double = 0.05) {
        self.maxDegree = maxDegree
        self.improvementRequired = improvementRequired
    }

    /// The fit of `points`.
    /// - Throws: `CalibrationError.tooFewLevels` when the points form fewer than `minimumLevels` levels.
    public func fit(_ points: [CalibrationPoint]) throws(CalibrationError) -> FitReport {
        let x = points.map(\.loadPercent)
        let y = points.map(\.watts)
        let (levelOfPoint, levelCount) = LoadLevels.of(points)
        guard levelCount >= Self.minimumLevels else {
            throw .tooFewLevels(found: levelCount, needed: Self.minimumLevels)
        }
        let range = x.min()!...x.max()!
        let highest = min(maxDegree, levelCount - 2)
        var candidates: [FitReport.Candidate] = []
        var fits: [Int: (polynomial: Polynomial, heldOut: [Double])] = [:]
        for degree in 0...highest {
            guard let polynomial = LeastSquares.fit(x: x, y: y, degree: degree),
                let heldOut = heldOutPredictions(x: x, y: y, levelOfPoint: levelOfPoint, levelCount: levelCount, degree: degree)
            else { continue }
            let admissible = Self.isAdmissible(polynomial, over: range)
            candidates.append(.init(degree: degree, rmseHeldOutWatts: Self.rmse(heldOut, y), isAdmissible: admissible))
            fits[degree] = (polynomial, heldOut)
        }
        // The lowest admissible degree whose held-out error no higher degree beats by the margin.
        let admissible = candidates.filter(\.isAdmissible)
        let scale = y.map(abs).max() ?? 1
        var chosen = admissible.first
        for candidate in admissible.dropFirst() {
            guard let current = chosen else { break }
            if candidate.rmseHeldOutWatts < current.rmseHeldOutWatts * (1 - improvementRequired) - 1e-9 * scale {
                chosen = candidate
            }
        }
        guard let chosen, let fit = fits[chosen.degree] else {
            throw .failed("no admissible fit: the watts are negative")
        }
        let inSample = x.map { fit.polynomial($0) }
        return FitReport(
            polynomial: fit.polynomial,
            pointCount: points.count,
            levelCount: levelCount,
            rmseInSampleWatts: Self.rmse(inSample, y),
            mapeInSamplePercent: Self.mape(inSample, y),
            rmseHeldOutWatts: Self.rmse(fit.heldOut, y),
            mapeHeldOutPercent: Self.mape(fit.heldOut, y),
            measuredRange: range,
            candidates: candidates
        )
    }

    /// Each point's prediction by the fit of `degree` on all other levels; nil when some fold cannot be fitted.
    func heldOutPredictions(x: [Double], y: [Double], levelOfPoint: [Int], levelCount: Int, degree: Int) -> [Double]? {
        var predictions = [Double](repeating: 0, count: x.count)
        for level in 0..<levelCount {
            let kept = x.indices.filter { levelOfPoint[$0] != level }
            guard let polynomial = LeastSquares.fit(x: kept.map { x[$0] }, y: kept.map { y[$0] }, degree: degree) else {
                return nil
            }
            for index in x.indices where levelOfPoint[index] == level { predictions[index] = polynomial(x[index]) }
        }
        return predictions
    }

    /// How far a fit may dip below its running maximum and still count as non-decreasing, as a
    /// share of its largest value over the measured range: the flat top of a measured curve wobbles
    /// by about that much with measurement noise.
    public static let decreaseTolerance = 0.005

    /// Whether `polynomial` is non-negative and non-decreasing over `range`, checked on 400 steps:
    /// never below zero (to rounding), and never more than `decreaseTolerance` of its largest value
    /// below the highest value it reached at a lower load.
    public static func isAdmissible(_ polynomial: Polynomial, over range: ClosedRange<Double>) -> Bool {
        let steps = 400
        let width = range.upperBound - range.lowerBound
        let values = (0...steps).map { polynomial(range.lowerBound + width * Double($0) / Double(steps)) }
        let largest = max(1e-9, values.map(abs).max() ?? 1)
        guard values.allSatisfy({ $0 >= -1e-9 * largest }) else { return false }
        var highest = -Double.infinity
        for value in values {
            if value < highest - decreaseTolerance * largest { return false }
            highest = max(highest, value)
        }
        return true
    }

    static func rmse(_ predicted: [Double], _ actual: [Double]) -> Double {
        guard !actual.isEmpty else { return 0 }
        let sum = zip(predicted, actual).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return (sum / Double(actual.count)).squareRoot()
    }

    static func mape(_ predicted: [Double], _ actual: [Double]) -> Double {
        let terms = zip(predicted, actual).filter { $0.1 != 0 }.map { abs($0.0 - $0.1) / abs($0.1) }
        guard !terms.isEmpty else { return 0 }
        return terms.reduce(0, +) / Double(terms.count) * 100
    }
}
