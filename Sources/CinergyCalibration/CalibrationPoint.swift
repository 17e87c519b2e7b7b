/// One measurement: the host's CPU load and the power at that load.
public struct CalibrationPoint: Sendable, Equatable {
    /// The host's CPU load in percent of all online CPUs, as `/proc/stat` measured it.
    public let loadPercent: Double
    /// The mean power over the same interval, in watts.
    public let watts: Double

    public init(loadPercent: Double, watts: Double) {
        self.loadPercent = loadPercent
        self.watts = watts
    }
}
