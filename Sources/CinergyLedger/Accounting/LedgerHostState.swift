/// What the ledger knew of the host at its last flush (`ledger_state`): PIDs and start ticks mean
/// something only within one boot, and the host's `/proc/stat` counters give its mean load over an
/// agent's absence.
public struct LedgerHostState: Sendable, Equatable {
    /// `/proc/sys/kernel/random/boot_id`; nil when unknown.
    public var bootID: String?
    /// When the last flush was written (by any agent), Unix seconds.
    public var lastFlushUnixSeconds: Double?
    /// `/proc/stat`'s aggregate busy and total ticks at that flush; nil when unreadable.
    public var hostBusyTicks: UInt64?
    public var hostTotalTicks: UInt64?

    public init(bootID: String? = nil, lastFlushUnixSeconds: Double? = nil, hostBusyTicks: UInt64? = nil, hostTotalTicks: UInt64? = nil) {
        self.bootID = bootID
        self.lastFlushUnixSeconds = lastFlushUnixSeconds
        self.hostBusyTicks = hostBusyTicks
        self.hostTotalTicks = hostTotalTicks
    }
}
