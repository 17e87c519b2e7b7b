import CinergyLedger
import PostgresNIO

extension FleetError {
    /// What PostgresNIO, NIO or the ledger threw, as a ``FleetError`` (never the password: the
    /// server's message and code, or the connection's error).
    static func classify(_ error: any Error) -> FleetError {
        switch error {
        case let error as FleetError:
            return error
        case let error as PostgresTransactionError:
            guard let inner = error.beginError ?? error.closureError ?? error.commitError ?? error.rollbackError else {
                return .server("a transaction failed")
            }
            return classify(inner)
        case let error as PSQLError:
            return classify(error)
        case let error as LedgerError:
            return .ledger(error.description)
        case let error as NIOSSLError:
            return .tls("\(error)")
        case let error as BoringSSLError:
            return .tls("\(error)")
        case let error as NIOSSLExtraError:
            // Such as failedToValidateHostname: the certificate is not for the URL's host.
            return .tls("\(error)")
        default:
            return .unreachable("\(error)")
        }
    }

    private static func classify(_ error: PSQLError) -> FleetError {
        if let underlying = error.underlying, underlying is NIOSSLError || underlying is BoringSSLError || underlying is NIOSSLExtraError {
            return .tls("\(underlying)")
        }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?"
            let message = error.serverInfo?[.message] ?? "no message"
            // Class 28: invalid authorization specification (28P01: invalid password).
            if state.hasPrefix("28") { return .authenticationFailed("\(message) (SQLSTATE \(state))") }
            return .server("\(message) (SQLSTATE \(state))")
        case .sslUnsupported:
            return .tls("the server does not offer TLS, and the URL's sslmode requires it")
        case .failedToAddSSLHandler:
            return .tls("TLS could not be set up: \(error.underlying.map { "\($0)" } ?? "no reason")")
        case .authMechanismRequiresPassword:
            return .authenticationFailed("the server asks for a password, and FLEET_DATABASE_PASSWORD_FILE is not set")
        case .unsupportedAuthMechanism, .saslError:
            return .authenticationFailed("\(error.code)")
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return .unreachable(error.underlying.map { "\($0)" } ?? "\(error.code)")
        default:
            return .server("\(error.code)")
        }
    }
}
