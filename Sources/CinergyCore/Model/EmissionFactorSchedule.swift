/// The grid's carbon intensity as it changes with time (an operator's factor file); where it has
/// no value, the configured `EMISSION_FACTOR` applies.
public protocol EmissionFactorSchedule: Sendable {
    /// The factor in force at `unixSeconds`, in gCO2eq per kWh; nil where the schedule has none.
    func gramsPerKilowattHour(atUnixSeconds unixSeconds: Double) -> Double?

    /// Where the schedule's figures come from (a factor file's provider, zone, signal); nil when
    /// the schedule does not say.
    var provenance: GridIntensityProvenance? { get }

    /// Whether the provider estimated the factor in force at `unixSeconds`; nil when unknown.
    func isEstimated(atUnixSeconds unixSeconds: Double) -> Bool?
}

extension EmissionFactorSchedule {
    public var provenance: GridIntensityProvenance? { nil }

    public func isEstimated(atUnixSeconds unixSeconds: Double) -> Bool? { nil }
}
