import CinergyCore
@testable import CinergyLedger
import Testing

@Suite("Ledger accumulator")
struct LedgerAccumulatorTests {
    static let identity = Fixtures.vm("a", pid: 1, uuid: "u-a")

    static func totals(_ joules: Double, _ grams: Double = 0, present: Bool = true) -> [VMTotals] {
        [VMTotals(ledgerKey: "u-a", identity: present ? identity : nil, energyJoules: joules, carbonGrams: grams)]
    }

    @Test("an increase is spread over the minutes between two ticks in proportion to time")
    func spread() {
        var accumulator = LedgerAccumulator(startUnixSeconds: 90)
        accumulator.tick(Self.totals(60, 6), nowUnixSeconds: 150)
        let minutes = accumulator.pending.entries["u-a"]?.minutes ?? [:]
        #expect(minutes.keys.sorted() == [60, 120])
        #expect(abs((minutes[60]?.energyJoules ?? 0) - 30) < 1e-9)
        #expect(abs((minutes[120]?.energyJoules ?? 0) - 30) < 1e-9)
        #expect(abs((minutes[120]?.carbonGrams ?? 0) - 3) < 1e-9)
        #expect(abs((minutes[60]?.runningSeconds ?? 0) - 30) < 1e-9)
        #expect(accumulator.pending.entries["u-a"]?.totalJoules == 60)
    }

    @Test("seeded totals are not new energy; only the increase after them is")
    func seeded() {
        var accumulator = LedgerAccumulator(startUnixSeconds: 0)
        accumulator.seeded(["u-a": (1000, 10)])
        accumulator.tick(Self.totals(1005, 10.5), nowUnixSeconds: 10)
        #expect(accumulator.pending.energyJoules == 5)
        #expect(accumulator.pending.entries["u-a"]?.totalJoules == 1005)
    }

    @Test("a clock stepped backwards never gives negative energy or running time")
    func clockBackwards() {
        var accumulator = LedgerAccumulator(startUnixSeconds: 1000)
        accumulator.tick(Self.totals(10), nowUnixSeconds: 1010)
        _ = accumulator.takePending()
        // The wall clock jumps back an hour.
        accumulator.tick(Self.totals(20), nowUnixSeconds: 1010 - 3600)
        let batch = accumulator.takePending()
        let minutes = batch.entries["u-a"]?.minutes ?? [:]
        #expect(minutes.values.allSatisfy { $0.energyJoules >= 0 && $0.runningSeconds >= 0 })
        #expect(batch.energyJoules == 10)
        // Everything goes to the last tick's minute until the clock passes it again.
        #expect(minutes.keys.sorted() == [960])
        #expect(accumulator.lastTickUnixSeconds == 1010)
        accumulator.tick(Self.totals(30), nowUnixSeconds: 1070)
        #expect(accumulator.takePending().energyJoules == 10)
    }

    @Test("counters that go down are ignored, not subtracted")
    func neverBackwards() {
        var accumulator = LedgerAccumulator(startUnixSeconds: 0)
        accumulator.tick(Self.totals(50), nowUnixSeconds: 10)
        _ = accumulator.takePending()
        accumulator.tick(Self.totals(40), nowUnixSeconds: 20)
        #expect(accumulator.takePending().energyJoules == 0)
        accumulator.tick(Self.totals(55), nowUnixSeconds: 30)
        #expect(accumulator.takePending().energyJoules == 5)
    }

    @Test("a batch that could not be written is merged back before what came after")
    func restore() {
        var accumulator = LedgerAccumulator(startUnixSeconds: 0)
        accumulator.tick(Self.totals(10), nowUnixSeconds: 10)
        let failed = accumulator.takePending()
        accumulator.tick(Self.totals(25), nowUnixSeconds: 20)
        accumulator.restore(failed)
        #expect(accumulator.pending.energyJoules == 25)
        #expect(accumulator.pending.entries["u-a"]?.totalJoules == 25)
    }
}

extension LedgerAccumulatorTests {
    @Test("while writes fail, minutes past the minute retention fold into their hour: memory stays bounded, hours stay right")
    func foldWhileFailing() {
        var accumulator = LedgerAccumulator(startUnixSeconds: 0)
        var energy = 0.0
        // Ten hours of one-minute ticks, none of them written.
        for minute in 1...600 {
            energy += 60
            accumulator.tick(Self.totals(energy), nowUnixSeconds: Double(minute * 60))
            let failed = accumulator.takePending()
            accumulator.restore(failed, keepMinutesAfter: Double(minute * 60) - 3600)
        }
        let minutes = accumulator.pending.entries["u-a"]?.minutes ?? [:]
        // The last hour by minute, the nine before as one entry each.
        #expect(minutes.count <= 60 + 10)
        #expect(abs(accumulator.pending.energyJoules - 36_000) < 1e-6)
        var byHour: [Int64: Double] = [:]
        for (minute, amount) in minutes { byHour[minute - minute % 3600, default: 0] += amount.energyJoules }
        #expect(byHour.values.allSatisfy { abs($0 - 3600) < 1e-6 })
    }
}
