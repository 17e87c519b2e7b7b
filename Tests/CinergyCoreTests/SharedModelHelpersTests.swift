import CinergyCore
import Testing

@Suite("Shared model helpers: percentage errors and the factor file's override")
struct SharedModelHelpersTests {
    @Test("signed error is (predicted − actual) / actual in percent; none for an actual of 0 W or less")
    func signedError() {
        #expect(PercentError.signed(predicted: 110, actual: 100) == 10)
        #expect(PercentError.signed(predicted: 90, actual: 100) == -10)
        #expect(PercentError.signed(predicted: 5, actual: 0) == nil)
        #expect(PercentError.signed(predicted: 5, actual: -1) == nil)
    }

    @Test("the mean absolute percentage error leaves out pairs without a percentage, and is nil without pairs")
    func meanAbsolute() {
        #expect(PercentError.meanAbsolute(predicted: [110, 90, 7], actual: [100, 100, 0]) == 10)
        #expect(PercentError.meanAbsolute(predicted: [1], actual: [0]) == nil)
        #expect(PercentError.meanAbsolute([]) == nil)
        #expect(PercentError.meanAbsolute([-5, 15]) == 10)
    }

    @Test("the factor file's factor, when there is one, replaces EMISSION_FACTOR and nothing else")
    func emissionFactorOverride() {
        let configured = CarbonModel(pue: 1.5, emissionFactorGramsPerKilowattHour: 400)
        let overridden = configured.overridingEmissionFactor(100)
        #expect(overridden == CarbonModel(pue: 1.5, emissionFactorGramsPerKilowattHour: 100))
        #expect(overridden.gramsPerHour(powerWatts: 1000) == 150)
        #expect(configured.overridingEmissionFactor(nil) == configured)
        #expect(configured.overridingEmissionFactor(0).gramsPerHour(powerWatts: 1000) == 0)
    }
}
