/// Integrates power into energy and carbon counters, sample by sample.
public struct EnergyAccounting: Sendable, Equatable {
    public var power: PowerModel
    public var carbon: CarbonModel
    /// The server's embodied emissions over its lifetime; nil when they are not accounted
    /// (`SERVER_EMBODIED_EMISSIONS` unset).
    public var embodied: EmbodiedModel?

    public init(power: PowerModel, carbon: CarbonModel, embodied: EmbodiedModel? = nil) {
        self.power = power
        self.carbon = carbon
        self.embodied = embodied
    }

    /// Embodied grams CO2eq of a VM with `vmCores` vCPUs in the registry for `seconds` while the
    /// registry's VMs had `runningVCPUs` vCPUs in all; nil when embodied emissions are not accounted.
    public func embodiedGrams(vmCores: Int, seconds: Double, runningVCPUs: Int? = nil) -> Double? {
        embodied?.grams(share: power.share(vmCores: vmCores, runningVCPUs: runningVCPUs), seconds: seconds)
    }

    /// Joules and grams of CO2-equivalent of a VM with `vmCores` vCPUs that used `cpuUsagePercent`
    /// percent of one host CPU for `seconds`, while the host's load was `hostLoadPercent` (the
    /// cinergy ratio in force then applies); `emissionFactorGramsPerKilowattHour`, when given,
    /// replaces the carbon model's factor (the factor file's value at the sample's time).
    public func increments(
        cpuUsagePercent: Double, vmCores: Int, seconds: Double, hostLoadPercent: Double? = nil,
        emissionFactorGramsPerKilowattHour: Double? = nil, runningVCPUs: Int? = nil
    ) -> (joules: Double, grams: Double) {
        let watts = power.estimate(
            cpuUsagePercent: cpuUsagePercent, vmCores: vmCores, hostLoadPercent: hostLoadPercent, runningVCPUs: runningVCPUs
        ).totalWatts
        // A negative interval (it never should be: intervals are monotonic) adds nothing.
        let joules = watts * max(0, seconds)
        let carbon = carbon.overridingEmissionFactor(emissionFactorGramsPerKilowattHour)
        // 1 kWh = 3.6e6 J; carbon.gramsPerHour is per hour of that power.
        return (joules, carbon.gramsPerHour(powerWatts: watts) * max(0, seconds) / 3600)
    }
}
