@testable import CinergyLedger
import Testing

/// The exact-period rules on their own: which hour buckets are read whole, which minute buckets
/// are prorated, and when an edge is widened to the hour grid.
@Suite("Exact periods: how a period is read from the buckets")
struct PeriodPlanTests {
    static let hour = 1_796_083_200.0  // 2026-12-01T00:00:00Z

    static func period(_ from: Double, _ to: Double) -> LedgerPeriod {
        LedgerPeriod(fromUnixSeconds: hour + from, toUnixSeconds: hour + to)
    }

    @Test("a period inside one hour reads that hour's minutes, prorated; nothing widened")
    func insideOneHour() {
        let plan = PeriodPlan(Self.period(34, 54), minutesKeptFrom: -.infinity)
        #expect(plan.summed == plan.requested)
        #expect(plan.hourStarts.isEmpty)
        #expect(plan.minuteSpans == [Self.period(34, 54)])
        #expect(plan.resolution == .minute)
        // The minute bucket 00:00, counted whole: 20 s of its 60 in the period.
        let minute = Int64(Self.hour)
        #expect(PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 60, previousCounted: true, nextCounted: true, in: plan.minuteSpans[0]) == 20.0 / 60)
        #expect(PeriodPlan.share(ofMinuteAt: minute + 60, countedSeconds: 60, previousCounted: true, nextCounted: true, in: plan.minuteSpans[0]) == 0)
    }

    @Test("a VM that starts or stops inside an edge minute: its counted seconds are placed at that end of the minute")
    func partialMinutes() {
        let minute = Int64(Self.hour)
        let span = Self.period(34, 54)
        // Started at 00:00:04.5 (nothing the minute before, something after): counted [4.5, 60).
        #expect(PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 55.5, previousCounted: false, nextCounted: true, in: span) == 20 / 55.5)
        // Stopped at 00:00:40 (something before, nothing after): counted [0, 40).
        #expect(PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 40, previousCounted: true, nextCounted: false, in: span) == 6.0 / 40)
        // Place unknown (alone, or between two counted minutes): the time share of the minute.
        #expect(PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 30, previousCounted: false, nextCounted: false, in: span) == 20.0 / 60)
        #expect(PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 30, previousCounted: true, nextCounted: true, in: span) == 20.0 / 60)
        // A VM whose whole life, 00:00:38 to 00:00:43.5, is inside the minute: placed there by
        // when it was ever counted, not spread over the minute.
        let life = LedgerPeriod(fromUnixSeconds: Self.hour + 38, toUnixSeconds: Self.hour + 43.5)
        #expect(PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 5.5, previousCounted: false, nextCounted: false, in: span, active: life) == 1)
        #expect(
            PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 5.5, previousCounted: false, nextCounted: false, in: Self.period(0, 40), active: life)
                == 2 / 5.5
        )
        // A life wider than the minute leaves it whole.
        let long = LedgerPeriod(fromUnixSeconds: Self.hour - 600, toUnixSeconds: Self.hour + 600)
        #expect(PeriodPlan.share(ofMinuteAt: minute, countedSeconds: 30, previousCounted: false, nextCounted: false, in: span, active: long) == 20.0 / 60)
        #expect(PeriodPlan.contains(minuteAt: minute + 60, in: Self.period(60, 120)))
        #expect(!PeriodPlan.contains(minuteAt: minute, in: span))
    }

    @Test("a period across hours: whole hours in the middle, minutes at both edges")
    func acrossHours() {
        let plan = PeriodPlan(Self.period(1800.5, 3 * 3600 + 90), minutesKeptFrom: -.infinity)
        #expect(plan.summed == plan.requested)
        #expect(plan.hourStarts == Int64(Self.hour) + 3600..<Int64(Self.hour) + 3 * 3600)
        #expect(plan.minuteSpans == [Self.period(1800.5, 3600), Self.period(3 * 3600, 3 * 3600 + 90)])
        #expect(plan.minuteSpans.reduce(0) { $0 + $1.seconds } + Double(plan.hourStarts.count) == plan.requested.seconds)
    }

    @Test("a period on the hour grid reads hours only")
    func onTheGrid() {
        let plan = PeriodPlan(Self.period(0, 7200), minutesKeptFrom: .infinity)
        #expect(plan.summed == plan.requested)
        #expect(plan.hourStarts == Int64(Self.hour)..<Int64(Self.hour) + 7200)
        #expect(plan.minuteSpans.isEmpty)
        #expect(plan.resolution == .minute)
    }

    @Test("an edge in an hour whose minutes are gone is widened to the hour; the other stays exact")
    func widened() {
        // Minutes kept from 02:00 on: the edge at 00:30 widens to 00:00; 03:01:30 stays.
        let plan = PeriodPlan(Self.period(1800, 3 * 3600 + 90), minutesKeptFrom: Self.hour + 7200)
        #expect(plan.summed == Self.period(0, 3 * 3600 + 90))
        #expect(plan.isWidened)
        #expect(plan.resolution == .hour)
        #expect(plan.hourStarts == Int64(Self.hour)..<Int64(Self.hour) + 3 * 3600)
        #expect(plan.minuteSpans == [Self.period(3 * 3600, 3 * 3600 + 90)])
        // No minutes at all: both edges widen.
        let none = PeriodPlan(Self.period(1800, 3 * 3600 + 90), minutesKeptFrom: .infinity)
        #expect(none.summed == Self.period(0, 4 * 3600))
        #expect(none.minuteSpans.isEmpty)
        // Both edges in one such hour: that hour.
        let one = PeriodPlan(Self.period(100, 200), minutesKeptFrom: .infinity)
        #expect(one.summed == Self.period(0, 3600))
        #expect(one.hourStarts == Int64(Self.hour)..<Int64(Self.hour) + 3600)
    }

    @Test("an empty period reads nothing")
    func empty() {
        let plan = PeriodPlan(Self.period(10, 10), minutesKeptFrom: -.infinity)
        #expect(plan.hourStarts.isEmpty)
        #expect(plan.minuteSpans.isEmpty)
        #expect(!plan.isWidened)
    }

    @Test("a series is cut at the step's grid and at the period's edges; its points cover the period")
    func series() throws {
        let plan = try SeriesPlan(Self.period(600, 3 * 3600 + 30), stepSeconds: 3600, minutesKeptFrom: -.infinity)
        #expect(plan.points.map(\.requested) == [
            Self.period(600, 3600), Self.period(3600, 7200), Self.period(7200, 10800), Self.period(10800, 10830),
        ])
        #expect(plan.points[1].minuteSpans.isEmpty)
        #expect(plan.points[0].minuteSpans == [Self.period(600, 3600)])
        // Days are UTC days.
        let days = try SeriesPlan(Self.period(-3600, 86400 + 3600), stepSeconds: 86400, minutesKeptFrom: -.infinity)
        #expect(days.points.map(\.requested) == [Self.period(-3600, 0), Self.period(0, 86400), Self.period(86400, 86400 + 3600)])
    }

    @Test("a step of whole hours widens the period's edges where minutes are gone; a step of minutes there fails")
    func seriesBeyondMinutes() throws {
        let hours = try SeriesPlan(Self.period(600, 7200 + 30), stepSeconds: 3600, minutesKeptFrom: .infinity)
        #expect(hours.period.summed == Self.period(0, 3 * 3600))
        #expect(hours.points.map(\.requested) == [Self.period(0, 3600), Self.period(3600, 7200), Self.period(7200, 10800)])
        #expect(hours.points.allSatisfy { $0.minuteSpans.isEmpty })
        #expect(throws: SeriesPlan.Failure.minutesNotKept(minutesKeptFrom: Self.hour + 3600)) {
            try SeriesPlan(Self.period(0, 7200), stepSeconds: 900, minutesKeptFrom: Self.hour + 3600)
        }
        // From the kept hour on, minutes serve.
        let kept = try SeriesPlan(Self.period(3600, 7200), stepSeconds: 900, minutesKeptFrom: Self.hour + 3600)
        #expect(kept.points.count == 4)
        #expect(throws: SeriesPlan.Failure.tooManyPoints(count: 10_081, limit: 10_000)) {
            try SeriesPlan(Self.period(0, 7 * 86400 + 60), stepSeconds: 60, minutesKeptFrom: -.infinity)
        }
    }
}
