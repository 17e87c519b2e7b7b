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
    /// cinergy ratio in force then applies); `emissionFactorGramsPerKilowattHour`, when given,
    /// replaces the carbon model's factor (the factor file's value at the sample's time).
    public func increments(
        cpuUsagePercent: Double, vmCores: Int, seconds: Double, hostLoadPercent: Double? = nil,
        emissionFactorGramsPerKilowattHour: Double? = nil
    ) -> (joules: Double, grams: Double) {
        let watts = power.estimate(cpuUsagePercent: cpuUsagePercent, vmCores: vmCores, hostLoadPercent: hostLoadPercent).totalWatts
        // A negative interval (it never should be: intervals are monotonic) adds nothing.
        let joules = watts * max(0, seconds)
        var carbon = carbon
        if let emissionFactorGramsPerKilowattHour { carbon.emissionFactorGramsPerKilowattHour = emissionFactorGramsPerKilowattHour }
        // 1 kWh = 3.6e6 J; carbon.gramsPerHour is per hour of that power.
        return (joules, carbon.gramsPerHour(powerWatts: watts) * max(0, seconds) / 3600)
    }
}
