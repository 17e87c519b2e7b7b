import CinergyCore
@testable import CinergyLedger
import Foundation
import SystemPackage
import Testing

/// The flush's own CPU at 1,000 VMs, on a fresh database: the accounts' take, the held row's
/// encoding and the SQLite transaction, over 30 flushes of ten 1-second samples each (half a
/// dozen of them the first after a minute is over, which writes that minute out). The agent's
/// share in `make bench` adds the sampler's work around it; this isolates the flush. Runs only
/// with `CINERGY_LEDGER_BENCH=1` or `=flush`:
///
///     CINERGY_LEDGER_BENCH=flush swift test --skip-build --filter LedgerFlushCostBenchmarkTests
@Suite(
    "Ledger flush cost", .serialized,
    .enabled(if: ["1", "flush"].contains(ProcessInfo.processInfo.environment["CINERGY_LEDGER_BENCH"] ?? ""))
)
struct LedgerFlushCostBenchmarkTests {
    @Test("1,000 VMs: the flush's CPU per VM and sample")
    func flushCost() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let vmCount = LedgerScaleBenchmarkTests.vmCount
        let start = Double(LedgerScaleBenchmarkTests.end)
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .libvirt, observed: (0..<vmCount).map(LedgerScaleBenchmarkTests.identity), nowUnixSeconds: start)
        let clock = ManualClock(start + 1)
        let ledger = Ledger(
            configuration: LedgerConfiguration(stateDirectory: FilePath(directory.path)), registry: registry, logger: Fixtures.logger,
            clock: { clock.now }
        )
        ledger.flushNow()
        #expect(ledger.status().state == .ok)
        var ticks: UInt64 = 0
        var flushes: [Double] = []
        for _ in 0..<36 {
            LedgerScaleBenchmarkTests.sampleEverySecond(registry, clock: clock, ticks: &ticks, seconds: 10)
            flushes.append(LedgerScaleBenchmarkTests.measure { ledger.flushNow() }.cpu)
        }
        // The first six flushes warm the caches (statements, VM rows); the mean is over the rest.
        let steady = Array(flushes.dropFirst(6))
        let mean = steady.reduce(0, +) / Double(steady.count)
        let perVMSample = mean / Double(vmCount) / 10 * 1e6
        print(
            "ledger flush cost: \(String(format: "%.2f", mean * 1000)) ms CPU per flush of \(vmCount) VMs (mean of \(steady.count)), "
                + "\(String(format: "%.2f", perVMSample)) us per VM and sample at a 10 s flush; costliest \(String(format: "%.2f", (steady.max() ?? 0) * 1000)) ms"
        )
        // Nothing lost: every VM's stored energy is its totals.
        ledger.flushNow(final: true)
        let stored = try #require(ledger.store).accounts()
        #expect(stored.count == vmCount)
        let live = registry.accounts.allTotals()
        for (key, account) in stored { #expect(abs(account.totals.energyJoules - (live[key]?.energyJoules ?? -1)) < 1e-6) }
    }
}
