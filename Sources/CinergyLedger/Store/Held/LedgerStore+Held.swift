import CinergyCore
import GRDB
import GRDBSQLite

/// The held minute (``LedgerStore/write(_:held:pruneMinutesBefore:pruneHoursBefore:)``):
/// each VM's amounts of the minute still running and its checkpoint, in the one row of
/// `held_minute`, written by each flush in one statement and added by every read.
extension LedgerStore {
    /// Replaces the held row with `bytes` (``HeldMinuteWriter``); deletes it when nil.
    static func storeHeld(_ bytes: [UInt8]?, _ db: Database) throws {
        guard let bytes else {
            try db.execute(sql: "DELETE FROM held_minute")
            return
        }
        var statement = SQLiteBinder(try db.cachedStatement(sql: "INSERT OR REPLACE INTO held_minute (id, data) VALUES (1, ?)"))
        statement.bind(bytes: bytes)
        _ = try statement.run(db)
    }

    /// What the held row holds (nothing when there is none).
    static func heldEntries(_ db: Database) throws -> [HeldEntry] {
        let statement = SQLiteBinder(try db.cachedStatement(sql: "SELECT data FROM held_minute WHERE id = 1"))
        var bytes: [UInt8] = []
        try statement.rows(db) { row in
            let count = Int(sqlite3_column_bytes(row, 0))
            guard count > 0, let data = sqlite3_column_blob(row, 0) else { return }
            bytes = Array(UnsafeRawBufferPointer(start: data, count: count))
        }
        var decoder = HeldMinuteDecoder(bytes)
        do {
            return try decoder.entries()
        } catch {
            throw DatabaseError(resultCode: .SQLITE_ERROR, message: "the held minute cannot be read: \(error)")
        }
    }

    /// Writes the held amounts out to the VM rows and the buckets and empties the held row: at
    /// open, for what an agent held when it stopped without writing it out.
    static func rollHeld(_ db: Database) throws {
        let entries = try heldEntries(db)
        guard !entries.isEmpty else { return }
        try LedgerSchema.advanceChangeSequence(db)
        var parameters: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, parameters FROM model_version") { parameters[row[0]] = row[1] }
        var batch = LedgerBatch()
        for entry in entries { batch.entries[entry.key] = entry.batchEntry(parameters: parameters) }
        var identities: [String: VMIdentity] = [:]
        _ = try writeOut(batch, versionIDs: try modelVersionIDs(of: batch, db), identities: &identities, db)
        try db.execute(sql: "DELETE FROM held_minute")
    }

    /// The held amounts as rows of one minute each (``BucketSumRow`` with its start), VM and
    /// model version: what the reads add to the bucket tables' rows.
    static func heldRows(_ db: Database) throws -> [BucketSumRow] {
        var rows: [BucketSumRow] = []
        for entry in try heldEntries(db) {
            for bucket in entry.buckets {
                rows.append(
                    BucketSumRow(vmID: entry.vmID, modelVersionID: bucket.modelVersionID, start: bucket.minuteStart, amount: PeriodAmount(bucket.amount))
                )
            }
        }
        return rows
    }
}
