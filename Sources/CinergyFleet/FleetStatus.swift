/// What the replication is doing, for `/health` and `/metrics`.
public struct FleetStatus: Sendable, Equatable {
    /// `ok`, `connecting` (before the first round), `waiting_for_ledger` (the ledger is not
    /// open: off, locked by another agent, failing), or why it cannot replicate
    /// (``FleetError/state``).
    public var state: FleetState
    /// Why the state is not `ok`, in words; nil when it is.
    public var detail: String?
    /// This agent's host identity in the central database.
    public var hostIdentity: String
    /// The central database, without password.
    public var database: String
    /// How old the newest central data may be: seconds since the start of the last complete
    /// round when changes are waiting, 0 when none are; nil before the first round.
    public var lagSeconds: Double?
    /// Rows (VMs, model versions, buckets) changed in the ledger and not yet replicated; nil
    /// while unknown.
    public var pendingRows: Int?
    /// When the last round that completed started, Unix seconds.
    public var lastReplicatedUnixSeconds: Double?
    /// Rows sent since the agent started.
    public var rowsSent: Int
    /// The central schema's version, once checked.
    public var schemaVersion: Int?

    /// Whether replication works (state `ok`).
    public var isHealthy: Bool { state == .ok }
}
