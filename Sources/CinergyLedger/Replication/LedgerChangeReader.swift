import GRDB
public import SystemPackage

/// Reads what changed in a ledger since a watermark, and moves the watermark, for the fleet's
/// replication (issue 20), through a connection of its own to the ledger's file: in WAL mode its
/// reads never wait for the agent's flush nor make it wait, and the watermark's one-row write
/// waits at most for one flush's transaction.
///
/// The database must be at schema v4 or later (a ``LedgerStore`` has opened it). Every method
/// blocks: call it from a thread of its own, never from Swift's cooperative pool.
public final class LedgerChangeReader: Sendable {
    /// The ledger's database file.
    public let path: FilePath
    private let queue: DatabaseQueue

    /// Opens a connection to the ledger at `path` (not creating it, not migrating it).
    public init(path: FilePath) throws(LedgerError) {
        self.path = path
        var configuration = Configuration()
        configuration.label = "cinergy.ledger.replication"
        configuration.busyMode = .timeout(5)
        do {
            queue = try DatabaseQueue(path: path.string, configuration: configuration)
            let ready = try queue.read { db in try db.tableExists("replication_state") }
            guard ready else {
                throw LedgerError.failed(path: path.string, reason: "the ledger has no change sequences yet (schema before v4)")
            }
        } catch {
            throw LedgerStore.ledgerError(error, path: path)
        }
    }

    /// The change counter and the watermark.
    public func state() throws(LedgerError) -> LedgerReplicationState {
        try read { db in try LedgerStore.replicationState(db) }
    }

    /// Sets the watermark: every change up to `sequence` is in the central database `target`
    /// names; `atUnixSeconds` is when the round that sent them started.
    public func setReplicated(sequence: Int64, target: String, atUnixSeconds: Double) throws(LedgerError) {
        do {
            try queue.write { db in try LedgerStore.setReplicated(sequence: sequence, target: target, atUnixSeconds: atUnixSeconds, db) }
        } catch {
            throw LedgerStore.ledgerError(error, path: path)
        }
    }

    /// Up to `limit` VMs changed in (`after`, `through`], those after `last` (a page's last row).
    public func changedVMs(after: Int64, through: Int64, last: LedgerChangedVM?, limit: Int) throws(LedgerError) -> [LedgerChangedVM] {
        try read { db in try LedgerStore.changedVMs(after: after, through: through, last: last, limit: limit, db) }
    }

    /// The model versions changed in (`after`, `through`].
    public func changedModelVersions(after: Int64, through: Int64) throws(LedgerError) -> [LedgerChangedModelVersion] {
        try read { db in try LedgerStore.changedModelVersions(after: after, through: through, db) }
    }

    /// Every model version's digest (hex SHA-256 of its canonical text), by its id in this ledger.
    public func modelVersionDigests() throws(LedgerError) -> [Int64: String] {
        try read { db in try LedgerStore.modelVersionDigests(db) }
    }

    /// Up to `limit` buckets of `resolution` changed in (`after`, `through`], those after `last`.
    public func changedBuckets(
        _ resolution: BucketResolution, after: Int64, through: Int64, last: LedgerChangedBucket?, limit: Int
    ) throws(LedgerError) -> [LedgerChangedBucket] {
        try read { db in try LedgerStore.changedBuckets(resolution, after: after, through: through, last: last, limit: limit, db) }
    }

    /// How many rows (VMs, model versions, buckets) changed after `sequence`.
    public func changedRowCount(after sequence: Int64) throws(LedgerError) -> Int {
        try read { db in try LedgerStore.changedRowCount(after: sequence, db) }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw LedgerStore.ledgerError(error, path: path)
        }
    }
}
