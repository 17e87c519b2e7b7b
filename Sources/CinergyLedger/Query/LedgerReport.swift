/// Every VM's (or project's) amounts over a period, summed exactly (``PeriodPlan``), with the
/// model versions the amounts were computed under.
public struct LedgerReport: Sendable {
    /// One line: a VM, or a project's VMs.
    public struct Row: Sendable {
        public var vm: String?
        public var uuid: String?
        public var projectID: String?
        public var projectName: String?
        public var vmCount: Int
        public var amount: PeriodAmount
        /// The model versions of this row's buckets, ascending.
        public var modelVersionIDs: [Int64]
    }

    public var plan: PeriodPlan
    public var grouping: ReportGrouping
    public var rows: [Row]
    /// Every model version the rows' buckets name, by id.
    public var modelVersions: [ModelVersion]

    /// The sum of the rows.
    public var total: PeriodAmount {
        rows.reduce(into: PeriodAmount()) { $0 += $1.amount }
    }
}
