/// The grid's carbon intensity as it changes with time (an operator's factor file); where it has
/// no value, the configured `EMISSION_FACTOR` applies.
public protocol EmissionFactorSchedule: Sendable {
    /// The factor in force at `unixSeconds`, in gCO2eq per kWh; nil where the schedule has none.
    func gramsPerKilowattHour(atUnixSeconds unixSeconds: Double) -> Double?
}
