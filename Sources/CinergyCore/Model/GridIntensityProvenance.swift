/// Where a grid carbon intensity series came from, as an auditor asks for it: the provider, its
/// zone or region, the signal, and how many of its points the provider estimated.
public struct GridIntensityProvenance: Sendable, Equatable {
    /// The format the file was recognised as.
    public enum Provider: String, Sendable, Equatable {
        /// `start,gco2eq_per_kwh` rows (the operator's own).
        case csv
        /// Electricity Maps' carbon-intensity history (API v3).
        case electricityMaps = "electricity_maps"
        /// WattTime's historical data (API v3).
        case wattTime = "watttime"
    }

    public var provider: Provider
    /// Electricity Maps' `zone` or WattTime's `meta.region`; nil for a CSV.
    public var zone: String?
    /// WattTime's `signal_type` (`co2_moer` marginal, `co2_aoer` average) or Electricity Maps'
    /// `emissionFactorType` (`lifecycle` or `direct`; `mixed` when points differ); nil for a CSV.
    public var signal: String?
    /// Points the provider marked as estimated (Electricity Maps' `isEstimated`); nil when the
    /// format does not say.
    public var estimatedPoints: Int?
    /// Points read.
    public var points: Int

    public init(provider: Provider, zone: String? = nil, signal: String? = nil, estimatedPoints: Int? = nil, points: Int) {
        self.provider = provider
        self.zone = zone
        self.signal = signal
        self.estimatedPoints = estimatedPoints
        self.points = points
    }

    /// `NAME=value` lines for a model version's canonical text (sorted by name; absent values left out).
    public var parameters: [(name: String, value: String)] {
        var parameters: [(name: String, value: String)] = []
        if let estimatedPoints { parameters.append(("EMISSION_FACTOR_FILE_ESTIMATED_POINTS", String(estimatedPoints))) }
        parameters.append(("EMISSION_FACTOR_FILE_POINTS", String(points)))
        parameters.append(("EMISSION_FACTOR_FILE_PROVIDER", provider.rawValue))
        if let signal { parameters.append(("EMISSION_FACTOR_FILE_SIGNAL", signal)) }
        if let zone { parameters.append(("EMISSION_FACTOR_FILE_ZONE", zone)) }
        return parameters
    }
}
