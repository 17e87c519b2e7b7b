import CinergyCore
@testable import CinergyLedger
import Foundation
import SystemPackage
import Testing

/// The read side at the size issue 17 names: `/report`'s and `/energy`'s named queries on the
/// database ``LedgerScaleBenchmarkTests`` fills (1,000 VMs, 400 days of hours, 48 hours of
/// minutes), through the store the agent and `cinergy report` use (docs/BENCHMARKS.md, "Reports at
/// scale"). Runs only with `CINERGY_LEDGER_BENCH=1`:
///
///     CINERGY_LEDGER_BENCH=1 swift test --skip-build --filter LedgerReportScaleBenchmarkTests
@Suite("Ledger reports at scale", .serialized, .enabled(if: ProcessInfo.processInfo.environment["CINERGY_LEDGER_BENCH"] == "1"))
struct LedgerReportScaleBenchmarkTests {
    static let end = Double(LedgerScaleBenchmarkTests.end)
    static let day = 86400.0

    /// The median wall time of `runs` runs of `body`, seconds.
    static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs { times.append(try LedgerScaleBenchmarkTests.measure(body).wall) }
        return times.sorted()[runs / 2]
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }

    @Test("1,000 VMs × 400 days: /report and /energy queries, aligned and not")
    func reports() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        try LedgerScaleBenchmarkTests.generate(path)
        // The read-only store `cinergy report` opens; the agent's reads the same queries.
        let store = try LedgerStore(readingOnly: FilePath(path))
        func report(_ from: Double, _ to: Double, _ grouping: ReportGrouping) throws -> LedgerReport {
            try store.reportNow(period: LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: to), by: grouping)
        }
        var last: LedgerReport?
        // A month on the hour grid: hour buckets only.
        let month = try Self.median(5) { last = try report(Self.end - 30 * Self.day, Self.end, .vm) }
        #expect(last?.rows.count == 1000)
        #expect(abs((last?.total.energyJoules ?? 0) - 1000 * 30 * 24 * 45000) < 1e-9 * 1000 * 30 * 24 * 45000)
        // A month with both edges off the grid: the far one widened to its hour (minutes gone),
        // the near one (within the 48 h of minutes) exact, its cut minute prorated.
        let ragged = try Self.median(5) { last = try report(Self.end - 30 * Self.day + 1234.5, Self.end - 3600 - 17.25, .vm) }
        #expect(last?.plan.isWidened == true)
        #expect(last?.plan.summed.toUnixSeconds == Self.end - 3600 - 17.25)
        let expected = (30 * 24 * 3600 - 3600 - 17.25) * 12.5 * 1000
        #expect(abs((last?.total.energyJoules ?? 0) - expected) < 1e-9 * expected)
        // 400 days by project.
        let year = try Self.median(3) { last = try report(Self.end - 400 * Self.day, Self.end, .project) }
        #expect(last?.rows.count == 7)
        // The last 24 h, edges off the minute grid: minute buckets at both edges, hours between.
        let dayRagged = try Self.median(5) { last = try report(Self.end - Self.day + 7.5, Self.end - 7.5, .vm) }
        #expect(last?.plan.isWidened == false)
        // One VM's series.
        let vm = try #require(try store.allVMsNow().first { $0.name == "vm-17" })
        var points = 0
        let seriesYear = try Self.median(5) {
            points = try store.seriesNow(
                vm: vm, period: LedgerPeriod(fromUnixSeconds: Self.end - 400 * Self.day, toUnixSeconds: Self.end), stepSeconds: 86400
            ).get().points.count
        }
        #expect(points == 400)
        let seriesDay = try Self.median(5) {
            points = try store.seriesNow(
                vm: vm, period: LedgerPeriod(fromUnixSeconds: Self.end - Self.day + 7.5, toUnixSeconds: Self.end), stepSeconds: 60
            ).get().points.count
        }
        #expect(points == 1440)
        print(
            "ledger report scale: /report 1,000 VMs x 30 d on the hour grid \(Self.milliseconds(month)); "
                + "30 d with ragged edges \(Self.milliseconds(ragged)); 400 d by project \(Self.milliseconds(year)); "
                + "24 h with ragged edges \(Self.milliseconds(dayRagged)); /energy one VM 400 d step 1d \(Self.milliseconds(seriesYear)); "
                + "one VM 24 h step 1m \(Self.milliseconds(seriesDay))"
        )
    }
}
