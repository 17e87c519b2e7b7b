/// Why the ledger cannot read or write its database.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state directory is missing and cannot be created, or is not a directory.
    case directoryUnavailable(path: String, reason: String)
    /// Another agent holds the state directory's lock.
    case locked(path: String, holder: String?)
    /// The database file is not a database, or is damaged.
    case corrupt(path: String, reason: String)
    /// The file system is full.
    case diskFull(path: String)
    /// The database or its directory cannot be written.
    case readOnly(path: String, reason: String)
    /// Anything else SQLite or the file system said.
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .directoryUnavailable(let path, let reason): "the state directory \(path) cannot be used: \(reason)"
        case .locked(let path, let holder):
            "another cinergy agent\(holder.map { " (pid \($0))" } ?? "") holds \(path): this agent keeps its ledger off until that one stops"
        case .corrupt(let path, let reason): "the ledger database \(path) is damaged: \(reason)"
        case .diskFull(let path): "the disk holding \(path) is full"
        case .readOnly(let path, let reason): "the ledger database \(path) cannot be written: \(reason)"
        case .failed(let path, let reason): "the ledger database \(path) failed: \(reason)"
        }
    }

    /// The ledger's state while this error stands (`/health`'s `ledger.state`).
    public var state: LedgerState {
        switch self {
        case .directoryUnavailable: .unavailable
        case .locked: .locked
        case .corrupt: .corrupt
        case .diskFull: .diskFull
        case .readOnly: .readOnly
        case .failed: .failing
        }
    }
}
