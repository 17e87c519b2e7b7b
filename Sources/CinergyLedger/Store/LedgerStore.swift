import CinergyCore
import GRDB
import Synchronization
public import SystemPackage

/// The ledger's SQLite database (WAL mode) through one GRDB `DatabaseQueue`.
///
/// Every method that does not say `async` blocks: call it from the ledger's own dispatch queue
/// (``Ledger``), a test, or a benchmark, never from Swift's cooperative pool. The `async` reads
/// run on GRDB's queue.
public final class LedgerStore: Sendable {
    /// The database file.
    public let path: FilePath
    /// A pool (one writer, readers beside it: a report never waits for a flush, nor a flush for
    /// a report), or a read-only queue (``init(readingOnly:)``).
    let queue: any DatabaseWriter
    /// The VM rows' ids by ledger key, as the last write left them; nil: to be read.
    let vmIDs = Mutex<[String: Int64]?>(nil)
    /// The identity each VM row was last written with by this store: a VM whose identity has not
    /// changed since gets its amounts by a plain `UPDATE` of its row by id (a third of the cost of
    /// the `INSERT … ON CONFLICT` that writes the identity too). Only this store writes the file
    /// while it is open (the ledger lock), so what it wrote is what the rows hold.
    let writtenIdentities = Mutex<[String: VMIdentity]>([:])
    /// The model versions' ids by canonical text, as far as ``modelVersionIDs(texts:unixSeconds:)`` has seen them.
    let versionIDs = Mutex<[String: Int64]>([:])

    /// A store on a queue already open (``init(readingOnly:)``).
    init(path: FilePath, queue: any DatabaseWriter) {
        self.path = path
        self.queue = queue
    }

    /// How much of the file ``init(path:check:)`` checks before using it.
    public enum IntegrityCheck: Sendable {
        /// `PRAGMA quick_check`: every page (seconds on a ledger of hundreds of megabytes).
        case full
        /// The header and schema only (a file that is not a database, or a damaged first page);
        /// the agent runs ``quickCheck(path:)`` beside it after start-up.
        case header
    }

    /// Opens (creating it if needed) the database at `path`, checks it (`check`) and brings its
    /// schema up to date.
    public init(path: FilePath, check: IntegrityCheck = .full) throws(LedgerError) {
        self.path = path
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.label = "cinergy.ledger"
        // Another process holding a write lock: wait a little, then report it (the lock file
        // normally keeps a second agent away before it gets here).
        configuration.busyMode = .timeout(2)
        // 1 MiB of page cache at most per connection (the default is 2 MiB).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -1024") }
        // Readers are opened when a report runs; two at most.
        configuration.maximumReaderCount = 2
        do {
            let queue = try DatabasePool(path: path.string, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                switch check {
                case .full: try Self.quickCheck(db)
                case .header: _ = try Int.fetchOne(db, sql: "PRAGMA schema_version")
                }
            }
            try LedgerSchema.migrator.migrate(queue)
            // What an agent held when it stopped without writing it out (a SIGKILL) goes to the
            // VM rows and buckets before anything reads them.
            try queue.write { db in try Self.rollHeld(db) }
            self.queue = queue
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Runs `PRAGMA quick_check` on the file at `path` through a read-only connection of its own:
    /// beside a running ledger (WAL readers never block its writer); throws ``LedgerError/corrupt(path:reason:)``
    /// when the file is damaged.
    public static func quickCheck(path: FilePath) throws(LedgerError) {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "cinergy.ledger.check"
        do {
            let queue = try DatabaseQueue(path: path.string, configuration: configuration)
            try queue.inDatabase { db in try quickCheck(db) }
        } catch {
            throw ledgerError(error, path: path)
        }
    }

    private static func quickCheck(_ db: Database) throws {
        let check = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
        guard check == "ok" else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "quick_check: \(check)")
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

    /// Every VM's cumulative joules and grams, by ledger key (``accounts()``' totals).
    public func totals() throws(LedgerError) -> [String: (joules: Double, grams: Double)] {
        try accounts().mapValues { ($0.totals.energyJoules, $0.totals.carbonGrams) }
    }

    /// Every VM's stored account, by ledger key: its totals and checkpoint, the held minute's
    /// amounts and checkpoint included (the VM row alone is behind them while a minute runs).
    public func accounts() throws(LedgerError) -> [String: LedgerStoredAccount] {
        do {
            return try queue.read { db in
                var accounts: [String: LedgerStoredAccount] = [:]
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT key, energy_joules, carbon_grams, static_joules, dynamic_joules, cpu_seconds, running_seconds,
                               reconstructed_joules, checkpoint_pid, checkpoint_start_ticks, checkpoint_cpu_ticks, checkpoint_unix,
                               embodied_grams, attributed_joules, attributed_seconds
                        FROM vm
                        """
                )
                while let row = try rows.next() {
                    var checkpoint: LedgerCheckpoint?
                    if let pid: Int32 = row[8], let start: Int64 = row[9], let ticks: Int64 = row[10], let unix: Double = row[11] {
                        checkpoint = LedgerCheckpoint(
                            process: ProcessIdentity(pid: pid, startTimeTicks: UInt64(max(0, start))), cpuTicks: UInt64(max(0, ticks)),
                            unixSeconds: unix
                        )
                    }
                    accounts[row[0]] = LedgerStoredAccount(
                        totals: BucketAmount(
                            energyJoules: row[1], staticJoules: row[3], dynamicJoules: row[4], carbonGrams: row[2],
                            runningSeconds: row[6], cpuSeconds: row[5], reconstructedJoules: row[7], embodiedGrams: row[12],
                            attributedJoules: row[13], attributedSeconds: row[14] ?? 0
                        ),
                        checkpoint: checkpoint
                    )
                }
                for held in try Self.heldEntries(db) {
                    var account = accounts[held.key] ?? LedgerStoredAccount(totals: BucketAmount())
                    for bucket in held.buckets { account.totals += bucket.amount }
                    if let checkpoint = held.checkpoint { account.checkpoint = checkpoint }
                    accounts[held.key] = account
                }
                return accounts
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// What the last flush knew of the host.
    public func hostState() throws(LedgerError) -> LedgerHostState {
        do {
            return try queue.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT boot_id, last_flush, host_busy_ticks, host_total_ticks FROM ledger_state")
                else { return LedgerHostState() }
                let busy: Int64? = row[2]
                let total: Int64? = row[3]
                return LedgerHostState(
                    bootID: row[0], lastFlushUnixSeconds: row[1], hostBusyTicks: busy.map { UInt64(max(0, $0)) },
                    hostTotalTicks: total.map { UInt64(max(0, $0)) }
                )
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// The model version with canonical text `parameters`, created if it is new (insert-or-get);
    /// its `last_used` moves to `unixSeconds` (and `first_used` back to the start of that minute,
    /// if earlier: the minute bucket its amounts from now on go into, which is what `first_used`
    /// becomes once they are written out; held amounts are read before that).
    @discardableResult
    public func modelVersionID(parameters: String, unixSeconds: Double) throws(LedgerError) -> Int64 {
        do {
            return try queue.write { db in
                try LedgerSchema.advanceChangeSequence(db)
                let minute = (unixSeconds / 60).rounded(.down) * 60
                return try Self.modelVersionID(parameters: parameters, first: minute, last: unixSeconds, db: db)
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    private static func modelVersionID(parameters: String, first: Double, last: Double, db: Database) throws -> Int64 {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO model_version (parameters, first_used, last_used, change_seq) VALUES (?, ?, ?, \(LedgerSchema.currentChangeSequence))
                ON CONFLICT(parameters) DO UPDATE SET
                    first_used = min(first_used, excluded.first_used), last_used = max(last_used, excluded.last_used),
                    change_seq = excluded.change_seq
                RETURNING id
                """
        )
        guard let id = try Int64.fetchOne(statement, arguments: [parameters, first, last]) else {
            throw DatabaseError(resultCode: .SQLITE_ERROR, message: "model_version: no id returned")
        }
        return id
    }

    /// Every model version, oldest first.
    public func modelVersions() throws(LedgerError) -> [ModelVersion] {
        do {
            return try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT id, parameters, first_used, last_used FROM model_version ORDER BY id").map {
                    ModelVersion(id: $0[0], canonicalText: $0[1], firstUsedUnixSeconds: $0[2], lastUsedUnixSeconds: $0[3])
                }
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Writes `batch` in one transaction: each VM's identity, checkpoint and totals (the batch's
    /// amounts added to them), its minute buckets and the hour buckets they fall in (added to what
    /// is there), the host state; then deletes minute buckets that start before
    /// `pruneMinutesBefore` and hour buckets before `pruneHoursBefore`, when given. The held row
    /// is left as it is.
    public func write(_ batch: LedgerBatch, pruneMinutesBefore: Int64? = nil, pruneHoursBefore: Int64? = nil) throws(LedgerError) {
        try write(batch, held: .keep, pruneMinutesBefore: pruneMinutesBefore, pruneHoursBefore: pruneHoursBefore)
    }

    /// What a write does with the held row.
    enum HeldUpdate {
        case keep
        /// Replaced by this blob (``HeldMinuteWriter``); deleted when nil.
        case replace([UInt8]?)
    }

    /// ``write(_:pruneMinutesBefore:pruneHoursBefore:)``, and in the same transaction the held
    /// row: the amounts of the minute still running, with the checkpoints of the VMs that have
    /// some, written by each flush as one row for all VMs (the accounts keep them pending until
    /// their minute is over, then hand them over for the VM rows and the buckets, once). Every read
    /// adds the held amounts (``heldEntries(_:)``); the next open writes them out (``rollHeld(_:)``).
    func write(_ batch: LedgerBatch, held: HeldUpdate, pruneMinutesBefore: Int64? = nil, pruneHoursBefore: Int64? = nil) throws(LedgerError) {
        do {
            let cached = vmIDs.withLock { $0 }
            var identities = writtenIdentities.withLock { $0 }
            let ids = try queue.write { db -> [String: Int64]? in
                try LedgerSchema.advanceChangeSequence(db)
                var ids = try cached ?? Self.allVMIDs(db)
                let versionIDs = try Self.modelVersionIDs(of: batch, db)
                for (key, id) in try Self.writeOut(batch, versionIDs: versionIDs, rows: ids, identities: &identities, db) { ids[key] = id }
                if case .replace(let bytes) = held { try Self.storeHeld(bytes, db) }
                if let state = batch.hostState {
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO ledger_state (id, boot_id, last_flush, host_busy_ticks, host_total_ticks) VALUES (1, ?, ?, ?, ?)
                            ON CONFLICT(id) DO UPDATE SET boot_id = excluded.boot_id, last_flush = excluded.last_flush,
                                host_busy_ticks = excluded.host_busy_ticks, host_total_ticks = excluded.host_total_ticks
                            """
                    ).execute(arguments: [
                        state.bootID, state.lastFlushUnixSeconds, state.hostBusyTicks.map { Int64(clamping: $0) },
                        state.hostTotalTicks.map { Int64(clamping: $0) },
                    ])
                }
                if let pruneMinutesBefore {
                    try db.execute(sql: "DELETE FROM minute_bucket WHERE start < ?", arguments: [pruneMinutesBefore])
                }
                // Range deletes on the buckets' leading key column (start): no whole-table scan.
                if let pruneHoursBefore {
                    try db.execute(sql: "DELETE FROM hour_bucket WHERE start < ?", arguments: [pruneHoursBefore])
                    // VMs gone for longer than the hour retention, with no bucket left: their row
                    // goes too (each checked through the (vm_id, start) indexes).
                    try db.execute(
                        sql: """
                            DELETE FROM vm WHERE last_seen < ?
                                AND NOT EXISTS (SELECT 1 FROM hour_bucket WHERE vm_id = vm.id)
                                AND NOT EXISTS (SELECT 1 FROM minute_bucket WHERE vm_id = vm.id)
                            """,
                        arguments: [pruneHoursBefore]
                    )
                    if db.changesCount > 0 { return nil }
                }
                return ids
            }
            // Only once the transaction is in.
            vmIDs.withLock { $0 = ids }
            writtenIdentities.withLock { $0 = ids == nil ? [:] : identities }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Every VM row's id, by ledger key (cached from write to write).
    func vmRowIDs() throws(LedgerError) -> [String: Int64] {
        if let cached = vmIDs.withLock({ $0 }) { return cached }
        do {
            let ids = try queue.read { db in try Self.allVMIDs(db) }
            vmIDs.withLock { $0 = ids }
            return ids
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// The id of each model version of `texts` (the accounts' ``Accounts/modelVersionTexts``), in
    /// their order: created when new (``modelVersionID(parameters:unixSeconds:)``), then cached.
    func modelVersionIDs(texts: [String], unixSeconds: Double) throws(LedgerError) -> [Int64] {
        var known = versionIDs.withLock { $0 }
        var ids: [Int64] = []
        ids.reserveCapacity(texts.count)
        for text in texts {
            if let id = known[text] {
                ids.append(id)
            } else {
                let id = try modelVersionID(parameters: text, unixSeconds: unixSeconds)
                known[text] = id
                ids.append(id)
            }
        }
        versionIDs.withLock { $0 = known }
        return ids
    }

    /// Every VM row's id, by ledger key.
    static func allVMIDs(_ db: Database) throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT key, id FROM vm")
        while let row = try rows.next() { ids[row[0]] = row[1] }
        return ids
    }

    /// Each model version of `batch` once: its id (created if new), its first and last use moved
    /// to include the batch's minutes; by canonical text.
    static func modelVersionIDs(of batch: LedgerBatch, _ db: Database) throws -> [String: Int64] {
        var versions: [String: (first: Double, last: Double)] = [:]
        for entry in batch.entries.values {
            for key in entry.buckets.keys {
                let start = Double(key.minuteStart)
                let known = versions[key.modelParameters] ?? (start, start + 60)
                versions[key.modelParameters] = (min(known.first, start), max(known.last, start + 60))
            }
        }
        var ids: [String: Int64] = [:]
        for (parameters, used) in versions {
            ids[parameters] = try modelVersionID(parameters: parameters, first: used.first, last: used.last, db: db)
        }
        return ids
    }

    /// Writes `batch`'s entries to the VM rows and the buckets; returns the rows' ids by ledger key.
    /// A VM in `rows` (its row's id) whose identity is the one in `identities` (what this store
    /// last wrote to its row) gets its amounts by id; any other VM's row is inserted or updated
    /// with its identity, which `identities` then records.
    static func writeOut(
        _ batch: LedgerBatch, versionIDs: [String: Int64], rows: [String: Int64] = [:], identities: inout [String: VMIdentity], _ db: Database
    ) throws -> [String: Int64] {
        guard !batch.entries.isEmpty else { return [:] }
        let statements = try FlushStatements(db)
        var ids: [String: Int64] = [:]
        for (key, entry) in batch.entries {
            let known = rows[key].flatMap { identities[key] == entry.identity ? $0 : nil }
            if let id = try write(key: key, knownID: known, entry: entry, versionIDs: versionIDs, statements: statements, db: db) {
                ids[key] = id
                identities[key] = entry.identity
            }
        }
        return ids
    }

    /// The flush's statements, looked up in the connection's cache once per flush (the cache is
    /// keyed by the SQL text: hashing it for every VM cost as much as a statement).
    struct FlushStatements {
        let vm: Statement
        /// A VM row's amounts, first and last seen and checkpoint, by id (its identity unchanged).
        let vmAmounts: Statement
        let minute: Statement
        let hour: Statement

        init(_ db: Database) throws {
            vm = try db.cachedStatement(sql: """
                INSERT INTO vm (key, name, uuid, nova_name, nova_project_id, nova_project_name, nova_user_id,
                                nova_user_name, nova_flavor, first_seen, last_seen, energy_joules, carbon_grams,
                                static_joules, dynamic_joules, cpu_seconds, running_seconds, reconstructed_joules,
                                checkpoint_pid, checkpoint_start_ticks, checkpoint_cpu_ticks, checkpoint_unix, embodied_grams,
                                attributed_joules, attributed_seconds, change_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(LedgerSchema.currentChangeSequence))
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
                    energy_joules = energy_joules + excluded.energy_joules,
                    carbon_grams = carbon_grams + excluded.carbon_grams,
                    static_joules = static_joules + excluded.static_joules,
                    dynamic_joules = dynamic_joules + excluded.dynamic_joules,
                    cpu_seconds = cpu_seconds + excluded.cpu_seconds,
                    running_seconds = running_seconds + excluded.running_seconds,
                    reconstructed_joules = reconstructed_joules + excluded.reconstructed_joules,
                    checkpoint_pid = coalesce(excluded.checkpoint_pid, checkpoint_pid),
                    checkpoint_start_ticks = coalesce(excluded.checkpoint_start_ticks, checkpoint_start_ticks),
                    checkpoint_cpu_ticks = coalesce(excluded.checkpoint_cpu_ticks, checkpoint_cpu_ticks),
                    checkpoint_unix = coalesce(excluded.checkpoint_unix, checkpoint_unix),
                    embodied_grams = CASE WHEN excluded.embodied_grams IS NULL THEN embodied_grams
                                          ELSE coalesce(embodied_grams, 0) + excluded.embodied_grams END,
                    attributed_joules = CASE WHEN excluded.attributed_joules IS NULL THEN attributed_joules
                                             ELSE coalesce(attributed_joules, 0) + excluded.attributed_joules END,
                    attributed_seconds = CASE WHEN excluded.attributed_joules IS NULL THEN attributed_seconds
                                              ELSE coalesce(attributed_seconds, 0) + excluded.attributed_seconds END,
                    change_seq = excluded.change_seq
                RETURNING id
                """)
            // The same rules as `vm`'s update, without the identity: numbered parameters, bound in order.
            vmAmounts = try db.cachedStatement(sql: """
                UPDATE vm SET
                    first_seen = min(first_seen, ?1),
                    last_seen = max(last_seen, ?2),
                    energy_joules = energy_joules + ?3,
                    carbon_grams = carbon_grams + ?4,
                    static_joules = static_joules + ?5,
                    dynamic_joules = dynamic_joules + ?6,
                    cpu_seconds = cpu_seconds + ?7,
                    running_seconds = running_seconds + ?8,
                    reconstructed_joules = reconstructed_joules + ?9,
                    checkpoint_pid = coalesce(?10, checkpoint_pid),
                    checkpoint_start_ticks = coalesce(?11, checkpoint_start_ticks),
                    checkpoint_cpu_ticks = coalesce(?12, checkpoint_cpu_ticks),
                    checkpoint_unix = coalesce(?13, checkpoint_unix),
                    embodied_grams = CASE WHEN ?14 IS NULL THEN embodied_grams ELSE coalesce(embodied_grams, 0) + ?14 END,
                    attributed_joules = CASE WHEN ?15 IS NULL THEN attributed_joules ELSE coalesce(attributed_joules, 0) + ?15 END,
                    attributed_seconds = CASE WHEN ?15 IS NULL THEN attributed_seconds ELSE coalesce(attributed_seconds, 0) + ?16 END,
                    change_seq = \(LedgerSchema.currentChangeSequence)
                WHERE id = ?17
                """)
            minute = try db.cachedStatement(sql: Self.bucketSQL("minute_bucket"))
            hour = try db.cachedStatement(sql: Self.bucketSQL("hour_bucket"))
        }

        static func bucketSQL(_ table: String) -> String {
            """
                INSERT INTO \(table) (start, vm_id, model_version_id, energy_joules, static_joules, dynamic_joules, carbon_grams,
                                      running_seconds, cpu_seconds, reconstructed_joules, embodied_grams, attributed_joules,
                                      attributed_seconds, change_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, min(?, ?), ?, ?, ?, ?, ?, \(LedgerSchema.currentChangeSequence))
                ON CONFLICT(start, vm_id, model_version_id) DO UPDATE SET
                    energy_joules = energy_joules + excluded.energy_joules,
                    static_joules = static_joules + excluded.static_joules,
                    dynamic_joules = dynamic_joules + excluded.dynamic_joules,
                    carbon_grams = carbon_grams + excluded.carbon_grams,
                    running_seconds = min(?, running_seconds + excluded.running_seconds),
                    cpu_seconds = cpu_seconds + excluded.cpu_seconds,
                    reconstructed_joules = reconstructed_joules + excluded.reconstructed_joules,
                    embodied_grams = CASE WHEN excluded.embodied_grams IS NULL THEN embodied_grams
                                          ELSE coalesce(embodied_grams, 0) + excluded.embodied_grams END,
                    attributed_joules = CASE WHEN excluded.attributed_joules IS NULL THEN attributed_joules
                                             ELSE coalesce(attributed_joules, 0) + excluded.attributed_joules END,
                    attributed_seconds = CASE WHEN excluded.attributed_joules IS NULL THEN attributed_seconds
                                              ELSE coalesce(attributed_seconds, 0) + excluded.attributed_seconds END,
                    change_seq = excluded.change_seq
                """
        }
    }

    private static func write(
        key: String, knownID: Int64?, entry: LedgerBatch.Entry, versionIDs: [String: Int64], statements: FlushStatements, db: Database
    ) throws -> Int64? {
        let total = entry.total
        var written: Int64?
        if let knownID {
            var vm = SQLiteBinder(statements.vmAmounts)
            bindAmounts(of: entry, total: total, to: &vm)
            vm.bind(knownID)
            _ = try vm.run(db)
            // A row gone meanwhile (never, while this store holds the file) is inserted again below.
            if db.changesCount == 1 { written = knownID }
        }
        if written == nil { written = try upsertVM(key: key, entry: entry, total: total, statements: statements, db: db) }
        guard let id = written else { return nil }
        var hours: [LedgerBucketKey: BucketAmount] = [:]
        for (bucket, amount) in entry.buckets {
            guard let version = versionIDs[bucket.modelParameters] else { continue }
            try upsertBucket(statements.minute, id: id, start: bucket.minuteStart, version: version, amount: amount, capSeconds: 60, db: db)
            let hour = LedgerBucketKey(minuteStart: bucket.minuteStart - bucket.minuteStart % 3600, modelParameters: bucket.modelParameters)
            hours[hour, default: BucketAmount()] += amount
        }
        for (bucket, amount) in hours {
            guard let version = versionIDs[bucket.modelParameters] else { continue }
            try upsertBucket(statements.hour, id: id, start: bucket.minuteStart, version: version, amount: amount, capSeconds: 3600, db: db)
        }
        return id
    }

    /// Inserts a VM's row, or updates it with its identity (``FlushStatements/vm``); its id.
    private static func upsertVM(key: String, entry: LedgerBatch.Entry, total: BucketAmount, statements: FlushStatements, db: Database) throws -> Int64? {
        let identity = entry.identity
        let nova = identity.nova
        var vm = SQLiteBinder(statements.vm)
        vm.bind(key)
        vm.bind(identity.name)
        vm.bind(identity.uuid)
        vm.bind(nova?.displayName)
        vm.bind(nova?.projectID)
        vm.bind(nova?.projectName)
        vm.bind(nova?.userID)
        vm.bind(nova?.userName)
        vm.bind(nova?.flavorName)
        bindAmounts(of: entry, total: total, to: &vm)
        return try vm.run(db)
    }

    /// A VM row's first and last seen, amounts, checkpoint, embodied and attributed figures, in the
    /// order both of its statements take them (``FlushStatements/vm`` after the identity,
    /// ``FlushStatements/vmAmounts`` before the id).
    private static func bindAmounts(of entry: LedgerBatch.Entry, total: BucketAmount, to vm: inout SQLiteBinder) {
        let checkpoint = entry.checkpoint
        vm.bind(entry.firstSeenUnixSeconds)
        vm.bind(entry.lastSeenUnixSeconds)
        vm.bind(total.energyJoules)
        vm.bind(total.carbonGrams)
        vm.bind(total.staticJoules)
        vm.bind(total.dynamicJoules)
        vm.bind(total.cpuSeconds)
        vm.bind(total.runningSeconds)
        vm.bind(total.reconstructedJoules)
        vm.bind(checkpoint.map { Int64($0.process.pid) })
        vm.bind(checkpoint.map { Int64(clamping: $0.process.startTimeTicks) })
        vm.bind(checkpoint.map { Int64(clamping: $0.cpuTicks) })
        vm.bind(checkpoint?.unixSeconds)
        vm.bind(total.embodiedGrams)
        vm.bind(total.attributedJoules)
        vm.bind(total.storedAttributedSeconds)
    }

    private static func upsertBucket(
        _ statement: Statement, id: Int64, start: Int64, version: Int64, amount: BucketAmount, capSeconds: Double, db: Database
    ) throws {
        var bucket = SQLiteBinder(statement)
        bucket.bind(start)
        bucket.bind(id)
        bucket.bind(version)
        bucket.bind(amount.energyJoules)
        bucket.bind(amount.staticJoules)
        bucket.bind(amount.dynamicJoules)
        bucket.bind(amount.carbonGrams)
        bucket.bind(amount.runningSeconds)
        bucket.bind(capSeconds)
        bucket.bind(amount.cpuSeconds)
        bucket.bind(amount.reconstructedJoules)
        bucket.bind(amount.embodiedGrams)
        bucket.bind(amount.attributedJoules)
        bucket.bind(amount.storedAttributedSeconds)
        bucket.bind(capSeconds)
        _ = try bucket.run(db)
    }

    // MARK: Reading

    // (The named queries are in `LedgerStore+Queries.swift`: GRDB's `Database` never leaves this module.)

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
