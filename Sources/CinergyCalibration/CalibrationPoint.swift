/// One measurement: the host's CPU load and the power at that load.
public struct CalibrationPoint: Sendable, Equatable {
    /// The host's CPU load in percent of all online CPUs, as `/proc/stat` measured it.
    public let loadPercent: Double
    /// The mean power over the same interval, in watts.
    public let watts: Double
    /// The load level of the run that measured it (its index in the plan); nil for recorded points,
    /// whose levels are found from their loads.
    public let level: Int?

    public init(loadPercent: Double, watts: Double, level: Int? = nil) {
        self.loadPercent = loadPercent
        self.watts = watts
        self.level = level
    }
}
