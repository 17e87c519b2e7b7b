/// The sampler's first reading of a QEMU process, and when the process started.
public struct ProcessBaseline: Sendable, Equatable {
    public var reading: ProcessReading
    /// When the process started, Unix seconds (`btime` of `/proc/stat` plus `starttime` of
    /// `/proc/PID/stat`); nil when unknown.
    public var processStartUnixSeconds: Double?

    public init(reading: ProcessReading, processStartUnixSeconds: Double?) {
        self.reading = reading
        self.processStartUnixSeconds = processStartUnixSeconds
    }
}
