/// What one sampling round measured as a whole, for `/health` and `/metrics`.
public struct RoundStatistics: Sendable, Equatable {
    /// When the round ended, in seconds since the Unix epoch.
    public var finishedAtUnixSeconds: Double
    /// How long discovery plus sampling took, in seconds.
    public var durationSeconds: Double
    /// The VMs whose CPU time the round read.
    public var vmCount: Int
    /// The host's CPU load since the previous round, in percent of all its CPUs; nil when unknown.
    public var hostCPUUsagePercent: Double?

    public init(finishedAtUnixSeconds: Double, durationSeconds: Double, vmCount: Int, hostCPUUsagePercent: Double? = nil) {
        self.finishedAtUnixSeconds = finishedAtUnixSeconds
        self.durationSeconds = durationSeconds
        self.vmCount = vmCount
        self.hostCPUUsagePercent = hostCPUUsagePercent
    }
}
