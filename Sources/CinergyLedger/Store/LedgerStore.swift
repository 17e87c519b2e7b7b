import CinergyCore
public import GRDB
public import SystemPackage

/// The ledger's SQLite database (WAL mode) through one GRDB `DatabaseQueue`.
///
/// Every method that does not say `async` blocks: call it from the ledger's own dispatch queue
/// (``Ledger``), a test, or a benchmark, never from Swift's cooperative pool. The `async` reads
/// run on GRDB's queue.
public final class LedgerStore: Sendable {
    /// The database file.
    public let path: FilePath
    let queue: DatabaseQueue

    /// Opens (creating it if needed) the database at `path`, checks it (`PRAGMA quick_check`)
    /// and brings its schema up to date.
    public init(path: FilePath) throws(LedgerError) {
        self.path = path
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.label = "cinergy.ledger"
        // Another process holding a write lock: wait a little, then report it (the lock file
        // normally keeps a second agent away before it gets here).
        configuration.busyMode = .timeout(2)
        do {
            let queue = try DatabaseQueue(path: path.string, configuration: configuration)
            try queue.inDatabase { db in
                let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
                guard check == "ok" else {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "quick_check: \(check)")
                }
                // 1 MiB of page cache at most (the default is 2 MiB per connection).
                try db.execute(sql: "PRAGMA cache_size = -1024")
            }
            try LedgerSchema.migrator.migrate(queue)
            self.queue = queue
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Turns what GRDB or SQLite threw into a ``LedgerError``.
    static func ledgerError(_ error: any Error, path: FilePath) -> LedgerError {
        if let error = error as? LedgerError { return error }
        guard let error = error as? DatabaseError else { return .failed(path: path.string, reason: "\(error)") }
        let reason = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .corrupt(path: path.string, reason: reason)
        case .SQLITE_FULL: return .diskFull(path: path.string)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM: return .readOnly(path: path.string, reason: reason)
        default: return .failed(path: path.string, reason: reason)
        }
    }

    // MARK: Writing

    /// Every VM's cumulative counters, by ledger key: what the registry is seeded with.
    public func totals() throws(LedgerError) -> [String: (joules: Double, grams: Double)] {
        do {
            return try queue.read { db in
                var totals: [String: (joules: Double, grams: Double)] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT key, energy_joules, carbon_grams FROM vm") {
                    totals[row[0]] = (row[1], row[2])
                }
                return totals
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Writes `batch` in one transaction: each VM's identity and totals, its minute buckets and
    /// the hour buckets they fall in (added to what is there); then deletes minute buckets that
    /// start before `pruneMinutesBefore` and hour buckets before `pruneHoursBefore`, when given.
    public func write(
        _ batch: LedgerBatch, pruneMinutesBefore: Int64? = nil, pruneHoursBefore: Int64? = nil
    ) throws(LedgerError) {
        do {
            try queue.write { db in
                for (key, entry) in batch.entries {
                    try Self.write(key: key, entry: entry, db: db)
                }
                if let pruneMinutesBefore {
                    try db.execute(sql: "DELETE FROM minute_bucket WHERE start < ?", arguments: [pruneMinutesBefore])
                }
                if let pruneHoursBefore {
                    try db.execute(sql: "DELETE FROM hour_bucket WHERE start < ?", arguments: [pruneHoursBefore])
                }
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    private static func write(key: String, entry: LedgerBatch.Entry, db: Database) throws {
        let identity = entry.identity
        let nova = identity.nova
        // Cached statements: compiled once per connection, not once per VM and flush.
        let upsertVM = try db.cachedStatement(
            sql: """
                INSERT INTO vm (key, name, uuid, nova_name, nova_project_id, nova_project_name, nova_user_id,
                                nova_user_name, nova_flavor, first_seen, last_seen, energy_joules, carbon_grams)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET
                    name = excluded.name, uuid = excluded.uuid,
                    nova_name = coalesce(excluded.nova_name, nova_name),
                    nova_project_id = coalesce(excluded.nova_project_id, nova_project_id),
                    nova_project_name = coalesce(excluded.nova_project_name, nova_project_name),
                    nova_user_id = coalesce(excluded.nova_user_id, nova_user_id),
                    nova_user_name = coalesce(excluded.nova_user_name, nova_user_name),
                    nova_flavor = coalesce(excluded.nova_flavor, nova_flavor),
                    first_seen = min(first_seen, excluded.first_seen),
                    last_seen = max(last_seen, excluded.last_seen),
                    energy_joules = max(energy_joules, excluded.energy_joules),
                    carbon_grams = max(carbon_grams, excluded.carbon_grams)
                RETURNING id
                """
        )
        let id = try Int64.fetchOne(
            upsertVM,
            arguments: [
                key, identity.name, identity.uuid, nova?.displayName, nova?.projectID, nova?.projectName, nova?.userID,
                nova?.userName, nova?.flavorName, entry.firstSeenUnixSeconds, entry.lastSeenUnixSeconds, entry.totalJoules,
                entry.totalGrams,
            ]
        )
        guard let id else { return }
        var hours: [Int64: BucketAmount] = [:]
        for (minute, amount) in entry.minutes {
            try upsertBucket("minute_bucket", id: id, start: minute, amount: amount, capSeconds: 60, db: db)
            hours[minute - minute % 3600, default: BucketAmount()] += amount
        }
        for (hour, amount) in hours {
            try upsertBucket("hour_bucket", id: id, start: hour, amount: amount, capSeconds: 3600, db: db)
        }
    }

    private static func upsertBucket(
        _ table: String, id: Int64, start: Int64, amount: BucketAmount, capSeconds: Double, db: Database
    ) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO \(table) (vm_id, start, energy_joules, carbon_grams, running_seconds) VALUES (?, ?, ?, ?, min(?, ?))
                ON CONFLICT(vm_id, start) DO UPDATE SET
                    energy_joules = energy_joules + excluded.energy_joules,
                    carbon_grams = carbon_grams + excluded.carbon_grams,
                    running_seconds = min(?, running_seconds + excluded.running_seconds)
                """
        )
        try statement.execute(
            arguments: [id, start, amount.energyJoules, amount.carbonGrams, amount.runningSeconds, capSeconds, capSeconds]
        )
    }

    // MARK: Reading

    /// Runs `body` on GRDB's queue, for HTTP handlers.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(LedgerError) -> T {
        do {
            return try await queue.read(body)
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// The database file's size plus its WAL's, in bytes (`PRAGMA page_count × page_size`).
    public func sizeBytes() throws(LedgerError) -> Int64 {
        do {
            return try queue.read { db in
                (try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0) * (try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Folds the WAL into the database file (`PRAGMA wal_checkpoint(TRUNCATE)`); for measurements.
    public func checkpoint() throws(LedgerError) {
        do {
            try queue.writeWithoutTransaction { db in _ = try Row.fetchAll(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }
}
