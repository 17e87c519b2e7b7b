import CinergyMeter
import Testing

@Suite("Mean power between two readings")
struct MeterReadingTests {
    @Test("energy meters: ΔE / Δt, nil when the counter did not move on; power meters: the mean of the samples")
    func meanWatts() {
        let start = MeterReading(energyJoules: 100, monotonicSeconds: 10)
        #expect(MeterReading(energyJoules: 150, monotonicSeconds: 12).meanWatts(since: start) == 25)
        #expect(MeterReading(energyJoules: 100, monotonicSeconds: 12).meanWatts(since: start) == nil)
        #expect(MeterReading(energyJoules: 150, monotonicSeconds: 10).meanWatts(since: start) == nil)
        let before = MeterReading(powerWatts: 40, monotonicSeconds: 0)
        let after = MeterReading(powerWatts: 60, monotonicSeconds: 1)
        #expect(after.meanWatts(since: before) == 60)
        #expect(after.meanWatts(since: before, powerSamples: [50, 54, 58]) == 54)
    }
}
