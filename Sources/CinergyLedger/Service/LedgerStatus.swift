/// What the ledger is doing, for `/health`.
public struct LedgerStatus: Sendable, Equatable {
    /// `ok`, `off` (`STATE_DIRECTORY=none`), `opening`, or why it cannot write (``LedgerError/state``).
    public var state: LedgerState
    /// The database file; nil when the ledger is off.
    public var path: String?
    /// Why the ledger is not `ok`, in words; nil when it is.
    public var detail: String?
    /// When the last flush was written, Unix seconds.
    public var lastFlushUnixSeconds: Double?
    /// VMs with energy waiting to be written.
    public var pendingVMCount: Int
    /// Where a damaged database file was moved, if one was.
    public var movedAsidePath: String?
    /// CPU time the flushes took since the agent started (their thread's), seconds.
    public var flushCPUSeconds: Double = 0
}
