import GRDB

/// Bucket rows of one VM and model version added up (each weighted by its share of a period),
/// read by column name. The query selects `vm_id`, `model_version_id`, optionally `start`, and
/// ``sums(weight:)``.
struct BucketSumRow: FetchableRecord {
    var vmID: Int64
    var modelVersionID: Int64
    /// The bucket's start, when the query groups by it.
    var start: Int64?
    var amount: PeriodAmount

    /// The weighted sums, named as `init(row:)` reads them. `weight` is an SQL expression of the
    /// row (1 for whole buckets). A row without the static/dynamic split (ledger v1) counts its
    /// energy as unsplit and no CPU time. Embodied grams are unknown (nil) when any row summed
    /// has none (`embodied_unaccounted`: embodied emissions not accounted then). The attributed
    /// joules are the sum of the rows that have them, with the seconds they cover; nil when none has.
    static func sums(weight: String) -> String {
        """
        sum(energy_joules * \(weight)) AS energy_joules,
        sum(coalesce(static_joules, 0) * \(weight)) AS static_joules,
        sum(coalesce(dynamic_joules, 0) * \(weight)) AS dynamic_joules,
        sum(CASE WHEN static_joules IS NULL THEN energy_joules ELSE 0 END * \(weight)) AS unsplit_joules,
        sum(reconstructed_joules * \(weight)) AS reconstructed_joules,
        sum(carbon_grams * \(weight)) AS carbon_grams,
        sum(embodied_grams * \(weight)) AS embodied_grams,
        count(*) - count(embodied_grams) AS embodied_unaccounted,
        sum(attributed_joules * \(weight)) AS attributed_joules,
        sum(coalesce(attributed_seconds, 0) * \(weight)) AS attributed_seconds,
        sum(running_seconds * \(weight)) AS running_seconds,
        sum(coalesce(cpu_seconds, 0) * \(weight)) AS cpu_seconds
        """
    }

    init(row: Row) throws {
        vmID = row["vm_id"]
        modelVersionID = row["model_version_id"]
        start = row.hasColumn("start") ? row["start"] : nil
        let unaccounted: Int64 = row["embodied_unaccounted"] ?? 0
        let embodied: Double? = unaccounted > 0 ? nil : (row["embodied_grams"] ?? 0)
        amount = PeriodAmount(
            energyJoules: row["energy_joules"] ?? 0, staticJoules: row["static_joules"] ?? 0,
            dynamicJoules: row["dynamic_joules"] ?? 0, unsplitJoules: row["unsplit_joules"] ?? 0,
            reconstructedJoules: row["reconstructed_joules"] ?? 0, carbonGrams: row["carbon_grams"] ?? 0, embodiedGrams: embodied,
            attributedJoules: row["attributed_joules"], attributedSeconds: row["attributed_seconds"] ?? 0,
            runningSeconds: row["running_seconds"] ?? 0, cpuSeconds: row["cpu_seconds"] ?? 0
        )
    }
}

extension BucketSumRow {
    init(vmID: Int64, modelVersionID: Int64, start: Int64?, amount: PeriodAmount) {
        self.vmID = vmID
        self.modelVersionID = modelVersionID
        self.start = start
        self.amount = amount
    }
}

extension BucketSumRow {
    /// The row with its start dropped (summed with rows of other starts).
    var withoutStart: BucketSumRow {
        var row = self
        row.start = nil
        return row
    }
}
