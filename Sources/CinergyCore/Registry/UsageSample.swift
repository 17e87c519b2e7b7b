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
    /// The process's cumulative CPU ticks at the end of the interval (the VM's checkpoint); nil
    /// when not known.
    public var cpuTicks: UInt64?

    /// The VM's state and vCPU count when the registry recorded the sample (what its energy was
    /// counted with); nil until recorded.
    public var vmState: VMState?
    public var vcpus: Int?

    public init(
        cpuUsagePercent: Double, sampledAtUnixSeconds: Double, intervalSeconds: Double, hostCPUUsagePercent: Double? = nil,
        cpuTicks: UInt64? = nil, vmState: VMState? = nil, vcpus: Int? = nil
    ) {
        self.cpuUsagePercent = cpuUsagePercent
        self.sampledAtUnixSeconds = sampledAtUnixSeconds
        self.intervalSeconds = intervalSeconds
        self.hostCPUUsagePercent = hostCPUUsagePercent
        self.cpuTicks = cpuTicks
        self.vmState = vmState
        self.vcpus = vcpus
    }
}

extension UsageSample {
    /// The sample as the model takes it for a VM in `state`: as measured while the VM runs, with a
    /// usage of 0 while it is paused. Every reading of a VM's usage (its latest, its history, its
    /// energy counters) goes through here.
    public func effective(in state: VMState) -> UsageSample {
        guard state == .paused else { return self }
        var sample = self
        sample.cpuUsagePercent = 0
        return sample
    }
}
