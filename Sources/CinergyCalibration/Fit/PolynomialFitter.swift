import CinergyCore

/// Fits f(load) → watts so that it is right by construction: for each degree, least squares in
/// a Bernstein basis with non-negative increments of the coefficients (`MonotoneBernsteinFit`),
/// so that every candidate is non-negative and non-decreasing on `[0, largest load measured]`.
///
/// The degree is chosen on held-out *interior* levels, which test interpolation: each level but
/// the lowest and the highest is left out in turn, the curve of each degree is fitted on the
/// other levels and predicts it; a degree's error is the root mean square of those predictions'
/// errors in percent of the measured watts. The lowest degree whose error is within
/// `toleranceShare` (5 %) of the smallest (or within 10⁻⁴ percentage points of it) is taken.
///
/// It refuses (`CalibrationError.tooFewLevels`, `.untrustworthy`) rather than write a curve the
/// data cannot support: fewer than 3 levels, levels pressed together, a meter that does not move
/// with load. It never falls back to a constant or a line.
public struct PolynomialFitter: Sendable {
    /// The highest degree tried.
    public var maxDegree: Int
    /// A lower degree is kept when its held-out error is within this share of the smallest.
    public var toleranceShare: Double
    /// Held-out errors closer than this, in percent, count as equal (exact data: every degree from
    /// the curve's own on predicts to rounding).
    public static let indistinguishablePercent = 1e-4
    /// Distinct levels needed: 3, so that one interior level can be held out.
    public static let minimumLevels = 3
    /// How far apart the lowest and highest level's mean loads must be, in points of percent.
    public static let minimumSpreadPercent = 10.0
    /// How much the fit must rise over the measured range, in percent of its value at the top.
    public static let minimumRisePercent = 2.0
    /// …and in multiples of the fit's in-sample RMSE (the noise the rise must stand out of).
    public static let minimumRiseOverNoise = 3.0

    public init(maxDegree: Int = 8, toleranceShare: Double = 0.05) {
        self.maxDegree = maxDegree
        self.toleranceShare = toleranceShare
    }

    /// The fit of `points`.
    /// - Throws: `CalibrationError.tooFewLevels` when the points form fewer than `minimumLevels`
    ///   levels; `.untrustworthy` when the levels are pressed together or the watts do not rise
    ///   with the load.
    public func fit(_ points: [CalibrationPoint]) throws(CalibrationError) -> FitReport {
        let x = points.map(\.loadPercent)
        let y = points.map(\.watts)
        let (levelOfPoint, levelCount) = LoadLevels.of(points)
        guard levelCount >= Self.minimumLevels else {
            throw .tooFewLevels(found: levelCount, needed: Self.minimumLevels)
        }
        // Levels by mean load: the lowest and highest are never held out (a fit without them
        // would extrapolate, which says nothing about how it interpolates).
        var sums = [Double](repeating: 0, count: levelCount)
        var counts = [Double](repeating: 0, count: levelCount)
        for (index, level) in levelOfPoint.enumerated() {
            sums[level] += x[index]
            counts[level] += 1
        }
        let means = (0..<levelCount).map { sums[$0] / counts[$0] }
        let byLoad = (0..<levelCount).sorted { means[$0] < means[$1] }
        let spread = means[byLoad.last!] - means[byLoad.first!]
        guard spread >= Self.minimumSpreadPercent else {
            throw .untrustworthy(
                "the load levels are pressed together: their mean host loads span \(NumberFormat.fixed(means[byLoad.first!], 1)) % "
                    + "to \(NumberFormat.fixed(means[byLoad.last!], 1)) %, at least \(NumberFormat.short(Self.minimumSpreadPercent, 1)) "
                    + "points are needed (was other work keeping the CPUs busy?)")
        }
        let range = x.min()!...x.max()!
        let inputMax = range.upperBound
        let interior = Array(byLoad.dropFirst().dropLast())

        var candidates: [FitReport.Candidate] = []
        var heldOutByDegree: [Int: [Double]] = [:]
        for degree in 1...max(1, maxDegree) {
            guard let heldOut = heldOutPredictions(x: x, y: y, levelOfPoint: levelOfPoint, levels: interior, degree: degree, inputMax: inputMax)
            else { continue }
            let indices = x.indices.filter { heldOut[$0] != nil }
            let relative = indices.compactMap { PercentError.signed(predicted: heldOut[$0]!, actual: y[$0]) }
            let rms = relative.isEmpty ? 0 : (relative.reduce(0) { $0 + $1 * $1 } / Double(relative.count)).squareRoot()
            candidates.append(
                .init(
                    degree: degree, heldOutErrorPercent: rms,
                    rmseHeldOutWatts: Self.rmse(indices.map { heldOut[$0]! }, indices.map { y[$0] })))
            heldOutByDegree[degree] = indices.map { heldOut[$0]! }
        }
        guard let smallest = candidates.map(\.heldOutErrorPercent).min(),
            let chosen = candidates.first(where: { $0.heldOutErrorPercent <= smallest * (1 + toleranceShare) + Self.indistinguishablePercent }),
            let polynomial = MonotoneBernsteinFit.fit(x: x, y: y, degree: chosen.degree, inputMax: inputMax)
        else {
            throw .untrustworthy("no degree could be fitted to the points")
        }
        let inSample = x.map { polynomial($0) }
        let rmseInSample = Self.rmse(inSample, y)
        // The one shape rule the agent checks REG_COEFF with; true by construction, checked anyway.
        if let problem = PowerCurve.shapeProblems(polynomial, upTo: inputMax).first(where: { if case .flat = $0 { false } else { true } }) {
            throw .untrustworthy("the fit breaks the shape rule (\(problem)); this is a bug")
        }
        let rise = polynomial(range.upperBound) - polynomial(range.lowerBound)
        let top = polynomial(range.upperBound)
        guard rise >= Self.minimumRisePercent / 100 * top, rise >= Self.minimumRiseOverNoise * rmseInSample else {
            throw .untrustworthy(
                "the meter does not move with the load: the fit rises \(NumberFormat.fixed(rise, 2)) W from "
                    + "\(NumberFormat.fixed(range.lowerBound, 1)) % to \(NumberFormat.fixed(range.upperBound, 1)) % load, less than "
                    + "\(NumberFormat.short(Self.minimumRisePercent, 1)) % of \(NumberFormat.fixed(top, 1)) W or "
                    + "\(NumberFormat.short(Self.minimumRiseOverNoise, 1)) × its RMSE of \(NumberFormat.fixed(rmseInSample, 2)) W "
                    + "(does the meter measure this host?)")
        }
        let heldOutIndices = x.indices.filter { index in interior.contains(levelOfPoint[index]) }
        let heldOut = heldOutByDegree[chosen.degree] ?? []
        let heldOutActual = heldOutIndices.map { y[$0] }
        return FitReport(
            polynomial: polynomial,
            pointCount: points.count,
            levelCount: levelCount,
            rmseInSampleWatts: rmseInSample,
            mapeInSamplePercent: PercentError.meanAbsolute(predicted: inSample, actual: y) ?? 0,
            rmseHeldOutWatts: Self.rmse(heldOut, heldOutActual),
            mapeHeldOutPercent: PercentError.meanAbsolute(predicted: heldOut, actual: heldOutActual) ?? 0,
            measuredRange: range,
            candidates: candidates
        )
    }

    /// The prediction of each point of the held-out `levels` by the fit of `degree` on all other
    /// levels (nil for the other points); nil when some fold cannot be fitted.
    func heldOutPredictions(
        x: [Double], y: [Double], levelOfPoint: [Int], levels: [Int], degree: Int, inputMax: Double
    ) -> [Double?]? {
        var predictions = [Double?](repeating: nil, count: x.count)
        for level in levels {
            let kept = x.indices.filter { levelOfPoint[$0] != level }
            guard
                let polynomial = MonotoneBernsteinFit.fit(
                    x: kept.map { x[$0] }, y: kept.map { y[$0] }, degree: degree, inputMax: inputMax)
            else { return nil }
            for index in x.indices where levelOfPoint[index] == level { predictions[index] = polynomial(x[index]) }
        }
        return predictions
    }

    static func rmse(_ predicted: [Double], _ actual: [Double]) -> Double {
        guard !actual.isEmpty else { return 0 }
        let sum = zip(predicted, actual).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        return (sum / Double(actual.count)).squareRoot()
    }
}
