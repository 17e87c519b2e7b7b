/// A VM's CPU usage over one sample interval.
public struct UsageSample: Sendable, Equatable {
    /// Percent of one host CPU (100 = one core fully busy), like `top` shows a process.
    public var cpuUsagePercent: Double
    /// End of the interval, in seconds since the Unix epoch.
    public var sampledAtUnixSeconds: Double
    /// Length of the interval, in seconds.
    public var intervalSeconds: Double
    /// The host's CPU load over the sampling round, in percent of all its CPUs (`/proc/stat`);
    /// nil when it was not measured.
    public var hostCPUUsagePercent: Double?

    public init(cpuUsagePercent: Double, sampledAtUnixSeconds: Double, intervalSeconds: Double, hostCPUUsagePercent: Double? = nil) {
        self.cpuUsagePercent = cpuUsagePercent
        self.sampledAtUnixSeconds = sampledAtUnixSeconds
        self.intervalSeconds = intervalSeconds
        self.hostCPUUsagePercent = hostCPUUsagePercent
    }
}
