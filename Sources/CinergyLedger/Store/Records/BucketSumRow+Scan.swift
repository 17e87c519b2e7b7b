import CinergyCore
import GRDB
import GRDBSQLite

extension BucketSumRow {
    init(vmID: Int64, modelVersionID: Int64, amount: PeriodAmount) {
        self.vmID = vmID
        self.modelVersionID = modelVersionID
        self.start = nil
        self.amount = amount
    }

    private struct Key: Hashable {
        var vm: Int64
        var version: Int64
    }

    /// The whole buckets of `table` starting in [`from`, `to`), added up by VM and model version
    /// as ``sums(weight:)`` adds them (weight 1): one scan in the table's key order, summed here.
    /// SQLite's `GROUP BY vm_id, model_version_id` sorted every row first (the key starts with
    /// `start`): 3.5 s for a month of 1,000 VMs' hours (docs/BENCHMARKS.md).
    static func sumsByVM(_ table: String, from: Int64, to: Int64, _ db: Database) throws -> [BucketSumRow] {
        let statement = try db.cachedStatement(
            sql: """
                SELECT vm_id, model_version_id, energy_joules, static_joules, dynamic_joules, reconstructed_joules, carbon_grams,
                       embodied_grams, running_seconds, cpu_seconds, attributed_joules, attributed_seconds
                FROM \(table) WHERE start >= ? AND start < ?
                """
        )
        var binder = SQLiteBinder(statement)
        binder.bind(from)
        binder.bind(to)
        var sums: [Key: PeriodAmount] = [:]
        try binder.rows(db) { row in
            let key = Key(vm: sqlite3_column_int64(row, 0), version: sqlite3_column_int64(row, 1))
            let energy = sqlite3_column_double(row, 2)
            let split = sqlite3_column_type(row, 3) != SQLITE_NULL
            let embodied: Double? = sqlite3_column_type(row, 7) == SQLITE_NULL ? nil : sqlite3_column_double(row, 7)
            let attributed: Double? = sqlite3_column_type(row, 10) == SQLITE_NULL ? nil : sqlite3_column_double(row, 10)
            sums[key, default: PeriodAmount()].add(
                energyJoules: energy, staticJoules: split ? sqlite3_column_double(row, 3) : 0,
                dynamicJoules: sqlite3_column_double(row, 4), unsplitJoules: split ? 0 : energy,
                reconstructedJoules: sqlite3_column_double(row, 5), carbonGrams: sqlite3_column_double(row, 6), embodiedGrams: embodied,
                attributedJoules: attributed, attributedSeconds: sqlite3_column_double(row, 11), runningSeconds: sqlite3_column_double(row, 8),
                cpuSeconds: sqlite3_column_double(row, 9)
            )
        }
        return sums.map { BucketSumRow(vmID: $0.key.vm, modelVersionID: $0.key.version, amount: $0.value) }
    }
}

extension PeriodAmount {
    /// Adds one bucket row as ``BucketSumRow/sums(weight:)`` adds it: a row without embodied grams
    /// makes the sum's unknown (nil); attributed joules are the sum of the rows that have them.
    fileprivate mutating func add(
        energyJoules: Double, staticJoules: Double, dynamicJoules: Double, unsplitJoules: Double, reconstructedJoules: Double,
        carbonGrams: Double, embodiedGrams: Double?, attributedJoules: Double?, attributedSeconds: Double, runningSeconds: Double,
        cpuSeconds: Double
    ) {
        self.energyJoules += energyJoules
        self.staticJoules += staticJoules
        self.dynamicJoules += dynamicJoules
        self.unsplitJoules += unsplitJoules
        self.reconstructedJoules += reconstructedJoules
        self.carbonGrams += carbonGrams
        self.embodiedGrams = embodiedGrams.flatMap { grams in self.embodiedGrams.map { $0 + grams } }
        self.attributedJoules = BucketAmount.sum(self.attributedJoules, attributedJoules)
        if attributedJoules != nil { self.attributedSeconds += attributedSeconds }
        self.runningSeconds += runningSeconds
        self.cpuSeconds += cpuSeconds
    }
}
