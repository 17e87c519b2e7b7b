/// A VM's account as the ledger holds it, for ``Accounts/rebase(on:context:)``: its totals and the
/// checkpoint it was counted up to.
public struct StoredAccount: Sendable, Equatable {
    public var totals: AccountAmount
    public var checkpoint: ProcessReading?

    public init(totals: AccountAmount, checkpoint: ProcessReading?) {
        self.totals = totals
        self.checkpoint = checkpoint
    }
}

/// What the ledger knew of the host at its last flush, for the reconstruction of an agent's absence.
public struct ReconstructionContext: Sendable, Equatable {
    /// False when the host rebooted since (PIDs and start ticks then mean other processes): no
    /// checkpoint is bridged.
    public var sameBoot: Bool
    /// The last flush of any agent, Unix seconds; nil when none.
    public var lastFlushUnixSeconds: Double?
    /// `/proc/stat`'s aggregate at that flush; nil when unknown.
    public var hostCPU: HostCPUStat?

    public init(sameBoot: Bool, lastFlushUnixSeconds: Double?, hostCPU: HostCPUStat?) {
        self.sameBoot = sameBoot
        self.lastFlushUnixSeconds = lastFlushUnixSeconds
        self.hostCPU = hostCPU
    }
}
