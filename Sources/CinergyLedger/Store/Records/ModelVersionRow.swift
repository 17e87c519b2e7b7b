import GRDB

/// A `model_version` row, read by column name into a ``ModelVersion``.
struct ModelVersionRow: FetchableRecord {
    var version: ModelVersion

    init(row: Row) throws {
        version = ModelVersion(
            id: row["id"], canonicalText: row["parameters"], firstUsedUnixSeconds: row["first_used"],
            lastUsedUnixSeconds: row["last_used"]
        )
    }
}
