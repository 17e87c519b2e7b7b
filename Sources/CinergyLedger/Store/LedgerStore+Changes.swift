import CinergyCore
import Crypto
import GRDB

/// The queries of the fleet's replication (issue 20): rows changed after a sequence, in the order
/// of their `change_seq` index (so a page is a range of the index, never a sort), and the
/// watermark. Callers get the ledger's own types (``LedgerChangedVM``, ``LedgerChangedBucket``,
/// ``LedgerChangedModelVersion``) through ``LedgerChangeReader``.
extension LedgerStore {
    static func replicationState(_ db: Database) throws -> LedgerReplicationState {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT change_seq, replicated_seq, replicated_target, replicated_at FROM replication_state WHERE id = 1"
            )
        else { return LedgerReplicationState(changeSequence: 0, replicatedSequence: 0, target: nil, replicatedAtUnixSeconds: nil) }
        return LedgerReplicationState(changeSequence: row[0], replicatedSequence: row[1], target: row[2], replicatedAtUnixSeconds: row[3])
    }

    static func setReplicated(sequence: Int64, target: String, atUnixSeconds: Double, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE replication_state SET replicated_seq = ?, replicated_target = ?, replicated_at = ? WHERE id = 1",
            arguments: [sequence, target, atUnixSeconds]
        )
    }

    /// `vm` rows with `after < change_seq <= through`, after the row `last` in (change_seq, id) order.
    static func changedVMs(after: Int64, through: Int64, last: LedgerChangedVM?, limit: Int, _ db: Database) throws -> [LedgerChangedVM] {
        let cursor = last.map { ($0.sequence, $0.id) } ?? (after, Int64.max)
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT change_seq, id, key, name, uuid, nova_name, nova_project_id, nova_project_name, nova_user_id, nova_user_name,
                       nova_flavor, first_seen, last_seen, energy_joules, carbon_grams, static_joules, dynamic_joules, cpu_seconds,
                       running_seconds, reconstructed_joules, embodied_grams, attributed_joules, attributed_seconds
                FROM vm INDEXED BY vm_change
                WHERE change_seq <= ? AND (change_seq, id) > (?, ?)
                ORDER BY change_seq, id LIMIT ?
                """,
            arguments: [through, cursor.0, cursor.1, limit]
        )
        return rows.map { row in
            let names: [String?] = (5...10).map { row[$0] }
            let nova =
                names.allSatisfy { $0 == nil }
                ? nil
                : NovaInstance(
                    displayName: names[0], projectID: names[1], projectName: names[2], userID: names[3], userName: names[4],
                    flavorName: names[5]
                )
            return LedgerChangedVM(
                sequence: row[0], id: row[1], key: row[2], name: row[3], uuid: row[4], nova: nova, firstSeenUnixSeconds: row[11],
                lastSeenUnixSeconds: row[12],
                totals: BucketAmount(
                    energyJoules: row[13], staticJoules: row[15], dynamicJoules: row[16], carbonGrams: row[14], runningSeconds: row[18],
                    cpuSeconds: row[17], reconstructedJoules: row[19], embodiedGrams: row[20], attributedJoules: row[21],
                    attributedSeconds: row[22] ?? 0
                )
            )
        }
    }

    /// `model_version` rows with `after < change_seq <= through` (a few: one per set of parameters).
    static func changedModelVersions(after: Int64, through: Int64, _ db: Database) throws -> [LedgerChangedModelVersion] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT change_seq, id, parameters, first_used, last_used FROM model_version
                WHERE change_seq > ? AND change_seq <= ? ORDER BY change_seq, id
                """,
            arguments: [after, through]
        ).map { row in
            let parameters: String = row[2]
            return LedgerChangedModelVersion(
                sequence: row[0], id: row[1], parameters: parameters, digest: digest(parameters), firstUsedUnixSeconds: row[3],
                lastUsedUnixSeconds: row[4]
            )
        }
    }

    /// The model versions by id, with the digest of each (the fleet's name for them).
    static func modelVersionDigests(_ db: Database) throws -> [Int64: String] {
        var digests: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, parameters FROM model_version") {
            digests[row[0]] = digest(row[1])
        }
        return digests
    }

    /// Bucket rows of `resolution` with `after < change_seq <= through`, after the row `last` in
    /// (change_seq, start, vm_id, model_version_id) order: the order of the `…_change` index.
    static func changedBuckets(
        _ resolution: BucketResolution, after: Int64, through: Int64, last: LedgerChangedBucket?, limit: Int, _ db: Database
    ) throws -> [LedgerChangedBucket] {
        let cursor = last.map { ($0.sequence, $0.start, $0.vmID, $0.modelVersionID) } ?? (after, Int64.max, Int64.max, Int64.max)
        let table = resolution.table
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT b.change_seq, b.start, b.vm_id, vm.key, b.model_version_id, b.energy_joules, b.carbon_grams, b.running_seconds,
                       b.reconstructed_joules, b.static_joules, b.dynamic_joules, b.cpu_seconds, b.embodied_grams, b.attributed_joules,
                       b.attributed_seconds
                FROM \(table) AS b INDEXED BY \(table)_change JOIN vm ON vm.id = b.vm_id
                WHERE b.change_seq <= ? AND (b.change_seq, b.start, b.vm_id, b.model_version_id) > (?, ?, ?, ?)
                ORDER BY b.change_seq, b.start, b.vm_id, b.model_version_id LIMIT ?
                """,
            arguments: [through, cursor.0, cursor.1, cursor.2, cursor.3, limit]
        )
        return rows.map { row in
            LedgerChangedBucket(
                sequence: row[0], resolution: resolution, start: row[1], vmID: row[2], vmKey: row[3], modelVersionID: row[4],
                energyJoules: row[5], carbonGrams: row[6], runningSeconds: row[7], reconstructedJoules: row[8], staticJoules: row[9],
                dynamicJoules: row[10], cpuSeconds: row[11], embodiedGrams: row[12], attributedJoules: row[13],
                attributedSeconds: row[14]
            )
        }
    }

    /// How many rows changed after `sequence`, all replicated tables together (counted on the
    /// `change_seq` indexes).
    static func changedRowCount(after sequence: Int64, _ db: Database) throws -> Int {
        var count = 0
        for table in LedgerSchema.replicatedTables {
            count += try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE change_seq > ?", arguments: [sequence]) ?? 0
        }
        return count
    }

    /// The hex SHA-256 of a model version's canonical text.
    static func digest(_ parameters: String) -> String {
        SHA256.hash(data: Array(parameters.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
