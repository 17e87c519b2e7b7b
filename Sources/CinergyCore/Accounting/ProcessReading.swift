/// One reading of a QEMU process's cumulative CPU time: the process, its ticks (utime + stime of
/// `/proc/PID/stat`, in clock ticks) and the Unix time of the reading. As a VM's checkpoint it
/// says how far its account has been counted.
public struct ProcessReading: Sendable, Equatable {
    public var process: ProcessIdentity
    public var cpuTicks: UInt64
    /// Unix seconds.
    public var unixSeconds: Double

    public init(process: ProcessIdentity, cpuTicks: UInt64, unixSeconds: Double) {
        self.process = process
        self.cpuTicks = cpuTicks
        self.unixSeconds = unixSeconds
    }
}
