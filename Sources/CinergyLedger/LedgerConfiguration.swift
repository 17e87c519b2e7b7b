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
    /// How many minutes the held row keeps (every flush rewrites it) before they are written out
    /// to the VM rows and buckets, at the first flush after their block of this many minutes
    /// (aligned to the hour) is over. Each VM's row and hour bucket are then updated once per
    /// block rather than once per minute: the write-out is most of what a flush costs
    /// (docs/BENCHMARKS.md). Reads add the held row, so they see every minute either way.
    public var writeOutMinutes: Int

    public init(
        stateDirectory: FilePath?, flushIntervalSeconds: Double = 10, minuteRetentionHours: Double = 48,
        hourRetentionDays: Double = 400, procRoot: String = "/proc", writeOutMinutes: Int = 5
    ) {
        self.writeOutMinutes = max(1, min(60, writeOutMinutes))
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
