import CinergyCore

/// A fitted model and how well it fits.
public struct FitReport: Sendable {
    /// f(host load percent) → watts: non-negative and non-decreasing on `[0, inputMax]`.
    public let polynomial: Polynomial
    /// Its degree.
    public var degree: Int { polynomial.coefficients.count - 1 }
    /// The points fitted.
    public let pointCount: Int
    /// The load levels the points form (see `LoadLevels`).
    public let levelCount: Int
    /// Root mean square error of the fit on its own points, in watts.
    public let rmseInSampleWatts: Double
    /// Mean absolute percentage error on its own points, in percent.
    public let mapeInSamplePercent: Double
    /// Root mean square error of each interior level predicted by the fit of the chosen degree
    /// without it, in watts.
    public let rmseHeldOutWatts: Double
    /// Mean absolute percentage error of the same held-out predictions, in percent.
    public let mapeHeldOutPercent: Double
    /// The smallest and largest load measured, in percent.
    public let measuredRange: ClosedRange<Double>
    /// The end of the range the fit is monotone on (from 0): the largest load measured, written
    /// as `MODEL_INPUT_MAX`.
    public var inputMax: Double { measuredRange.upperBound }
    /// Every degree tried, with its held-out error.
    public let candidates: [Candidate]

    /// One degree tried.
    public struct Candidate: Sendable, Equatable {
        public let degree: Int
        /// Root mean square of the held-out errors of the interior levels, in percent of the
        /// measured watts: what the degree is chosen by.
        public let heldOutErrorPercent: Double
        /// The same held-out predictions' RMSE, in watts.
        public let rmseHeldOutWatts: Double
    }
}
