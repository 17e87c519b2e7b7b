/// What the ledger is doing (`/health`'s `ledger.state`, by its raw value).
public enum LedgerState: String, Sendable, Equatable {
    /// Writing its database.
    case ok
    /// Not configured (`STATE_DIRECTORY=none`).
    case off
    /// Not opened yet.
    case opening
    /// The state directory cannot be used.
    case unavailable
    /// Another agent holds the database's lock.
    case locked
    /// The file is damaged (moved aside at the next flush).
    case corrupt
    /// The disk is full.
    case diskFull = "disk_full"
    /// The file system is read-only.
    case readOnly = "read_only"
    /// Any other failure to write.
    case failing
}
