/// Carbon emission rate from power: `g/h = W / 1000 × PUE × gCO2eq/kWh`.
public struct CarbonModel: Sendable, Equatable {
    /// Datacenter power usage effectiveness, ≥ 1.
    public var pue: Double
    /// Grid carbon intensity in gCO2eq per kWh, ≥ 0.
    public var emissionFactorGramsPerKilowattHour: Double

    public init(pue: Double, emissionFactorGramsPerKilowattHour: Double) {
        self.pue = pue
        self.emissionFactorGramsPerKilowattHour = emissionFactorGramsPerKilowattHour
    }

    /// This model with `gramsPerKilowattHour` as its emission factor when there is one: the factor
    /// file's value in force overrides `EMISSION_FACTOR`; nil (no file, or no row in force) leaves
    /// the configured factor.
    public func overridingEmissionFactor(_ gramsPerKilowattHour: Double?) -> CarbonModel {
        var model = self
        if let gramsPerKilowattHour { model.emissionFactorGramsPerKilowattHour = gramsPerKilowattHour }
        return model
    }

    /// Grams of CO2-equivalent per hour emitted by a load of `powerWatts`.
    public func gramsPerHour(powerWatts: Double) -> Double {
        powerWatts / 1000 * pue * emissionFactorGramsPerKilowattHour
    }
}
