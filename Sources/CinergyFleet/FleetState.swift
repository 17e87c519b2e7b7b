/// What the replication is doing (`/health`'s `fleet.state`, by its raw value; `off`, when the
/// agent does not replicate, is `/health`'s alone).
public enum FleetState: String, Sendable, Equatable {
    /// The last round went through.
    case ok
    /// No round has ended yet.
    case connecting
    /// The ledger is not open (off, locked by another agent, failing): replication waits.
    case waitingForLedger = "waiting_for_ledger"
    /// No connection: refused, unreachable, closed, or a round longer than its timeout.
    case unreachable
    /// The server refused the user or the password (SQLSTATE class 28).
    case authFailed = "auth_failed"
    /// TLS could not be set up, or the server's certificate was refused.
    case tlsFailed = "tls_failed"
    /// The central schema is newer than this agent knows: it stops replicating.
    case schemaNewer = "schema_newer"
    /// Any other error of the server (or a test's interruption).
    case failing
    /// The local ledger could not be read.
    case ledgerUnavailable = "ledger_unavailable"
}
