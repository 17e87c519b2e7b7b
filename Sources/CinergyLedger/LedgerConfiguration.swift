public import SystemPackage

/// How the ledger stores what it keeps: where, how often it writes and how long it keeps buckets.
public struct LedgerConfiguration: Sendable {
    /// The state directory (`STATE_DIRECTORY`); nil turns persistence off (`none`).
    public var stateDirectory: FilePath?
    /// Seconds between two flushes of the pending buckets (`LEDGER_FLUSH_SECONDS`). A SIGKILL
    /// loses nothing of a VM whose QEMU keeps running (the next agent reconstructs the time since
    /// the VM's stored checkpoint from its CPU ticks); of a QEMU that exits before an agent reads
    /// it again, its life since the last successful flush.
    public var flushIntervalSeconds: Double
    /// How long minute buckets are kept, in hours (`LEDGER_MINUTE_RETENTION_HOURS`).
    public var minuteRetentionHours: Double
    /// How long hour buckets are kept, in days (`LEDGER_HOUR_RETENTION_DAYS`).
    public var hourRetentionDays: Double
    /// Where procfs is mounted (`PROC_ROOT`): the boot id and `/proc/stat` stored with each flush.
    public var procRoot: String

    public init(
        stateDirectory: FilePath?, flushIntervalSeconds: Double = 10, minuteRetentionHours: Double = 48,
        hourRetentionDays: Double = 400, procRoot: String = "/proc"
    ) {
        self.procRoot = procRoot
        self.stateDirectory = stateDirectory
        self.flushIntervalSeconds = flushIntervalSeconds
        self.minuteRetentionHours = minuteRetentionHours
        self.hourRetentionDays = hourRetentionDays
    }

    /// The database file in the state directory.
    public var databasePath: FilePath? { stateDirectory?.appending("ledger.sqlite") }
    /// The lock file that keeps a second agent off the same directory.
    public var lockPath: FilePath? { stateDirectory?.appending("ledger.lock") }
}
