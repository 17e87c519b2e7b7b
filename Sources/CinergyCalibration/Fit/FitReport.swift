import CinergyCore

/// A fitted model and how well it fits.
public struct FitReport: Sendable {
    /// f(host load percent) → watts.
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
    /// Root mean square error of each level predicted by the fit without it (leave-one-level-out), in watts.
    public let rmseHeldOutWatts: Double
    /// Mean absolute percentage error of the same held-out predictions, in percent.
    public let mapeHeldOutPercent: Double
    /// The smallest and largest load measured, in percent.
    public let measuredRange: ClosedRange<Double>
    /// Held-out RMSE of every degree tried, for the report (degree → watts); degrees whose fit was
    /// negative or decreasing over the measured range are marked as rejected.
    public let candidates: [Candidate]

    /// One degree tried.
    public struct Candidate: Sendable, Equatable {
        public let degree: Int
        public let rmseHeldOutWatts: Double
        /// Whether the fit on all points is non-negative and non-decreasing over the measured range.
        public let isAdmissible: Bool
    }
}
