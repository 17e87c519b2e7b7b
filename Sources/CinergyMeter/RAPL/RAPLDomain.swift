/// A top-level powercap zone: `<sysfs>/class/powercap/intel-rapl:N/`.
public struct RAPLDomain: Sendable, Equatable {
    /// The zone's directory.
    public let path: String
    /// Its `name` file: `package-0`, `psys`, …
    public let name: String
    /// Its `max_energy_range_uj` file: where `energy_uj` wraps to 0, in microjoules.
    public let maxEnergyRangeMicrojoules: UInt64

    public init(path: String, name: String, maxEnergyRangeMicrojoules: UInt64) {
        self.path = path
        self.name = name
        self.maxEnergyRangeMicrojoules = maxEnergyRangeMicrojoules
    }

    var energyPath: String { path + "/energy_uj" }
}
