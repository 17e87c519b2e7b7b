/// One VM's amounts over a period, in total and by step, with the model versions used.
public struct LedgerSeries: Sendable {
    /// One step of the series.
    public struct Point: Sendable {
        /// The part of the period this point sums (cut at the period's edges).
        public var period: LedgerPeriod
        public var amount: PeriodAmount
        public var modelVersionIDs: [Int64]
    }

    public var vm: LedgerVM
    public var plan: SeriesPlan
    public var stepSeconds: Int64
    public var points: [Point]
    public var modelVersions: [ModelVersion]

    /// The sum of the points: the whole period.
    public var total: PeriodAmount {
        points.reduce(into: PeriodAmount()) { $0 += $1.amount }
    }
}
