/// Why a replication round failed: each is a state of `/health`'s `fleet` and of the metrics.
public enum FleetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection: refused, unreachable, timed out, closed.
    case unreachable(String)
    /// The server refused the user or the password.
    case authenticationFailed(String)
    /// TLS could not be set up, or the server's certificate was refused.
    case tls(String)
    /// The central schema is newer than this agent knows: it stops replicating.
    case schemaNewer(found: Int, known: Int)
    /// The server answered with an error.
    case server(String)
    /// A round took longer than its timeout.
    case timedOut(seconds: Double)
    /// The local ledger could not be read.
    case ledger(String)
    /// A test's interruption between two pages.
    case interrupted

    public var description: String {
        switch self {
        case .unreachable(let reason): "the fleet database cannot be reached: \(reason)"
        case .authenticationFailed(let reason): "the fleet database refused the login: \(reason)"
        case .tls(let reason): "TLS with the fleet database failed: \(reason)"
        case .schemaNewer(let found, let known):
            "the fleet database's schema is version \(found), newer than this agent's \(known): replication stopped (upgrade this agent)"
        case .server(let reason): "the fleet database failed: \(reason)"
        case .timedOut(let seconds): "a replication round took more than \(seconds) s"
        case .ledger(let reason): "the ledger cannot be read for replication: \(reason)"
        case .interrupted: "the replication round was interrupted"
        }
    }

    /// The replication's state this failure is (`/health`'s `fleet.state`).
    public var state: FleetState {
        switch self {
        case .unreachable, .timedOut: .unreachable
        case .authenticationFailed: .authFailed
        case .tls: .tlsFailed
        case .schemaNewer: .schemaNewer
        case .server, .interrupted: .failing
        case .ledger: .ledgerUnavailable
        }
    }
}
