/// Embodied emissions of the server, spread over its expected lifetime (the SCI's `M`):
/// `M = TE × (TiR / EL) × (RR / ToR)`. For a VM, `TE` is the server's embodied emissions, `TiR`
/// the time it runs, `EL` the server's expected lifetime and `RR / ToR` its static share
/// (``StaticShare``): a VM accrues `TE / EL × share` grams per second it is in the registry.
public struct EmbodiedModel: Sendable, Equatable {
    /// The server's embodied emissions `TE`, in grams of CO2-equivalent.
    public var embodiedGrams: Double
    /// The server's expected lifetime `EL`, in seconds.
    public var lifetimeSeconds: Double

    /// Seconds in a year as lifetimes are counted here (365.25 days).
    public static let secondsPerYear = 365.25 * 86400

    public init(embodiedGrams: Double, lifetimeSeconds: Double) {
        self.embodiedGrams = embodiedGrams
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// From the configuration's units: kgCO2eq and years.
    public init(embodiedKilograms: Double, lifetimeYears: Double) {
        self.init(embodiedGrams: embodiedKilograms * 1000, lifetimeSeconds: lifetimeYears * Self.secondsPerYear)
    }

    /// The whole server's embodied rate `TE / EL`, in grams CO2eq per hour.
    public var hostGramsPerHour: Double { embodiedGrams / lifetimeSeconds * 3600 }

    /// The embodied rate of a VM with static share `share`, in grams CO2eq per hour.
    public func gramsPerHour(share: Double) -> Double { hostGramsPerHour * share }

    /// Embodied grams CO2eq of a VM with static share `share` over `seconds` (nothing for a negative interval).
    public func grams(share: Double, seconds: Double) -> Double {
        embodiedGrams / lifetimeSeconds * share * max(0, seconds)
    }
}
