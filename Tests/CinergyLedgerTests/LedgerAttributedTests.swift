import CinergyCore
@testable import CinergyLedger
import Foundation
import SystemPackage
import Testing

/// The host meter's attributed joules in the ledger's reports, on a real SQLite file: summed beside
/// the isolated energy by every path a report reads (whole hours and whole minutes in key order, a
/// cut minute in SQL, a series' points), as the parts the meter measured with the seconds they
/// cover: the same at every resolution, never a part passed off as the whole (the seconds say how
/// much of the running time it is), nil only where the meter measured none of it.
@Suite("Ledger queries: attributed joules beside the isolated energy")
struct LedgerAttributedTests {
    static let hour: Int64 = 1_796_083_200  // 2026-12-01T00:00:00Z

    /// 1 W isolated (60 J a minute) for `minutes` minutes from `from`; the meter attributes 1.5 W
    /// (90 J a minute) to the first `metered` of them, nothing (no meter) to the rest.
    static func minutes(from: Int64, count: Int, metered: Int) -> [Int64: BucketAmount] {
        var buckets: [Int64: BucketAmount] = [:]
        for minute in 0..<count {
            buckets[from + Int64(minute * 60)] = BucketAmount(
                energyJoules: 60, staticJoules: 20, dynamicJoules: 40, carbonGrams: 0, runningSeconds: 60, cpuSeconds: 6,
                attributedJoules: minute < metered ? 90 : nil, attributedSeconds: minute < metered ? 60 : 0
            )
        }
        return buckets
    }

    static func entry(_ name: String, _ minutes: [Int64: BucketAmount]) -> LedgerBatch.Entry {
        LedgerBatch.Entry(
            identity: Fixtures.vm(name, pid: 1, uuid: "u-" + name), firstSeenUnixSeconds: Double(minutes.keys.min() ?? 0),
            lastSeenUnixSeconds: Double(minutes.keys.max() ?? 0) + 60, minutes: minutes, modelParameters: "X=1"
        )
    }

    static func period(_ from: Int64, _ to: Int64) -> LedgerPeriod {
        LedgerPeriod(fromUnixSeconds: Double(from), toUnixSeconds: Double(to))
    }

    @Test("summed in whole hours, whole and cut minutes and a series' points: the parts the meter measured, with the seconds they cover")
    func attributedBesideIsolated() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try LedgerStore(path: .init(directory.path + "/ledger.sqlite"))
        // "metered" for 3 hours, all metered; "plain" for 2 hours, none; "partly" metered for its
        // first hour only (the meter removed then).
        try store.write(
            LedgerBatch(entries: [
                "metered": Self.entry("metered", Self.minutes(from: Self.hour, count: 180, metered: 180)),
                "plain": Self.entry("plain", Self.minutes(from: Self.hour, count: 120, metered: 0)),
                "partly": Self.entry("partly", Self.minutes(from: Self.hour, count: 120, metered: 60)),
            ])
        )
        func row(_ report: LedgerReport, _ name: String) throws -> PeriodAmount {
            try #require(report.rows.first { $0.vm == name }?.amount, "\(report.rows.map(\.vm))")
        }
        // Whole hours (the hour buckets, read in key order).
        let hours = try store.reportNow(period: Self.period(Self.hour, Self.hour + 3 * 3600), by: .vm)
        #expect(try row(hours, "metered").attributedJoules == 180 * 90)
        #expect(try row(hours, "metered").attributedSeconds == 180 * 60)
        #expect(try row(hours, "metered").energyJoules == 180 * 60)
        #expect(try row(hours, "plain").attributedJoules == nil)
        #expect(try row(hours, "plain").attributedSeconds == 0)
        // Partly: its metered hour's joules, over half its running time.
        #expect(try row(hours, "partly").attributedJoules == 60 * 90)
        #expect(try row(hours, "partly").attributedSeconds == 3600)
        #expect(try row(hours, "partly").runningSeconds == 7200)
        #expect(try row(hours, "partly").energyJoules == 120 * 60)
        #expect(abs((hours.total.attributedJoules ?? 0) - 240 * 90) < 1e-6, "\(hours.total)")
        #expect(abs(hours.total.attributedSeconds - 240 * 60) < 1e-6, "\(hours.total)")
        #expect(hours.total.runningSeconds == 420 * 60)
        // Ten minutes from 01:00:30: two minutes cut in half (SQL), nine whole ones (key order).
        let minutes = try store.reportNow(period: Self.period(Self.hour + 3630, Self.hour + 4230), by: .vm)
        let metered = try row(minutes, "metered")
        #expect(abs((metered.attributedJoules ?? 0) - 900) < 1e-9, "\(metered)")
        #expect(abs(metered.attributedSeconds - 600) < 1e-9, "\(metered)")
        #expect(abs(metered.energyJoules - 600) < 1e-9)
        #expect(try row(minutes, "partly").attributedJoules == nil)
        #expect(try row(minutes, "partly").attributedSeconds == 0)
        // Across the meter's removal, 00:59:30 to 01:00:30: half a metered minute, half without.
        let across = try row(try store.reportNow(period: Self.period(Self.hour + 3570, Self.hour + 3630), by: .vm), "partly")
        #expect(abs((across.attributedJoules ?? 0) - 45) < 1e-9 && abs(across.attributedSeconds - 30) < 1e-9, "\(across)")
        #expect(abs(across.runningSeconds - 60) < 1e-9)
        // By project: its VMs' known parts and their seconds.
        let project = try store.reportNow(period: Self.period(Self.hour, Self.hour + 7200), by: .project).total
        #expect(project.attributedJoules == 180 * 90 && project.attributedSeconds == 180 * 60)
        // A series: each point its own; minutes and hours agree.
        let partly = try #require(try store.allVMsNow().first { $0.name == "partly" })
        let series = try store.seriesNow(vm: partly, period: Self.period(Self.hour, Self.hour + 7200), stepSeconds: 3600).get()
        #expect(series.points.map(\.amount.attributedJoules) == [5400, nil])
        #expect(series.points.map(\.amount.attributedSeconds) == [3600, 0])
        #expect(series.total.attributedJoules == 5400 && series.total.attributedSeconds == 3600)
        let byMinute = try store.seriesNow(vm: partly, period: Self.period(Self.hour, Self.hour + 7200), stepSeconds: 60).get()
        #expect(byMinute.points.count == 120)
        #expect(byMinute.total.attributedJoules == series.total.attributedJoules)
        #expect(byMinute.total.attributedSeconds == series.total.attributedSeconds)
        let summed = byMinute.points.reduce(PeriodAmount()) { total, point in
            var total = total
            total += point.amount
            return total
        }
        #expect(summed.attributedJoules == 5400 && summed.attributedSeconds == 3600)
        // Points on the minute grid, the first and last cut: half a metered minute, a whole one,
        // half of the first minute without.
        let cut = try store.seriesNow(vm: partly, period: Self.period(Self.hour + 3510, Self.hour + 3630), stepSeconds: 60).get()
        #expect(cut.points.map { $0.amount.attributedJoules.map { ($0 * 1e6).rounded() / 1e6 } } == [45, 90, nil])
        #expect(cut.points.map { ($0.amount.attributedSeconds * 1e6).rounded() / 1e6 } == [30, 60, 0])
    }

    @Test("the minute still running (held apart from the buckets) adds its attributed joules too")
    func heldMinute() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Double(Self.hour))
        let registry = VMRegistry(accounting: Fixtures.accounting)
        let ledger = Ledger(
            configuration: LedgerConfiguration(stateDirectory: directory.filePath, flushIntervalSeconds: 10),
            registry: registry, logger: Fixtures.logger, clock: { clock.now }
        )
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        // Each 10 s: 10 s sampled (1 W: 10 J), and 15 J the meter attributes over the same 10 s.
        for _ in 0..<4 {
            clock.advance(10)
            Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
            registry.accounts.addAttributed(["u-a": 15], fromUnixSeconds: clock.now - 10, toUnixSeconds: clock.now)
            ledger.flushNow()
        }
        let store = try #require(ledger.store)
        let amount = try #require(try store.reportNow(period: Self.period(Self.hour, Self.hour + 3600), by: .vm).rows.first?.amount)
        #expect(amount.energyJoules == 40)
        #expect(amount.attributedJoules == 60)
        #expect(amount.attributedSeconds == 40)
    }
}
