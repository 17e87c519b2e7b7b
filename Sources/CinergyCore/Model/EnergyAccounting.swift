/// Integrates power into energy and carbon counters, sample by sample.
public struct EnergyAccounting: Sendable, Equatable {
    public var power: PowerModel
    public var carbon: CarbonModel

    public init(power: PowerModel, carbon: CarbonModel) {
        self.power = power
        self.carbon = carbon
    }

    /// Joules and grams of CO2-equivalent of a VM with `vmCores` vCPUs that used `cpuUsagePercent`
    /// percent of one host CPU for `seconds`, while the host's load was `hostLoadPercent` (the
    /// cinergy ratio in force then applies).
    public func increments(cpuUsagePercent: Double, vmCores: Int, seconds: Double, hostLoadPercent: Double? = nil) -> (joules: Double, grams: Double) {
        let watts = power.estimate(cpuUsagePercent: cpuUsagePercent, vmCores: vmCores, hostLoadPercent: hostLoadPercent).totalWatts
        let joules = watts * seconds
        // 1 kWh = 3.6e6 J; carbon.gramsPerHour is per hour of that power.
        return (joules, carbon.gramsPerHour(powerWatts: watts) * seconds / 3600)
    }
}
