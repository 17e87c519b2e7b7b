import CinergyCore
import CinergyLedger
import Testing

/// The registry feeding the accounts: totals carried across a VM's stop and start (accounts are by
/// ledger key and outlive the registry's entries), the factor in force at each round.
@Suite("Registry and accounts")
struct RegistryAccountsTests {
    @Test("without a ledger nothing is kept by minute (it would grow for as long as the agent runs); the totals still count")
    func noLedgerKeepsNoPending() {
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: 1_000)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: 1_010)
        #expect(registry.accounts.pendingCount == 1)
        registry.accounts.stopKeepingPending()
        #expect(registry.accounts.pendingCount == 0)
        for minute in 1...30 { Fixtures.sample(registry, seconds: 60, atUnixSeconds: 1_010 + Double(minute) * 60) }
        #expect(registry.accounts.pendingCount == 0)
        #expect(registry.accounts.takePending().entries.allSatisfy { $0.value.buckets.isEmpty })
        #expect(registry.records().first?.energyJoules == 1_810)
    }

    @Test("a VM that stops and starts again (same UUID, new process) keeps its totals")
    func stopStart() {
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: 0)
        Fixtures.sample(registry, seconds: 5, atUnixSeconds: 5)
        registry.reconcile(source: .procfs, observed: [], nowUnixSeconds: 6)
        #expect(registry.records().isEmpty)
        #expect(registry.accounts.totals("u-a")?.energyJoules == 5)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 7, uuid: "u-a", start: 9)], nowUnixSeconds: 7)
        Fixtures.sample(registry, seconds: 1, atUnixSeconds: 8)
        #expect(registry.records().first?.energyJoules == 6)
        #expect(registry.accounts.totals("u-a")?.energyJoules == 6)
    }

    @Test("a VM whose new process (same UUID) appears in the same scan as the old one goes keeps its totals")
    func restartWithinOneScan() {
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: 0)
        Fixtures.sample(registry, seconds: 5, atUnixSeconds: 5)
        // One scan: the old process gone, the new one there.
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 2, uuid: "u-a", start: 7)], nowUnixSeconds: 6)
        #expect(registry.records().map(\.energyJoules) == [5])
        Fixtures.sample(registry, seconds: 1, atUnixSeconds: 7)
        #expect(registry.records().first?.energyJoules == 6)
    }

    @Test("the factor file's value at the round's time sets the carbon of that round")
    func timeVaryingFactor() {
        struct Schedule: EmissionFactorSchedule {
            func gramsPerKilowattHour(atUnixSeconds unixSeconds: Double) -> Double? { unixSeconds >= 100 ? 1000 : nil }
        }
        let registry = VMRegistry(accounting: Fixtures.accounting, emissionFactors: Schedule())
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1)], nowUnixSeconds: 0)
        Fixtures.sample(registry, seconds: 3600, atUnixSeconds: 50)
        // 1 W for an hour at 100 g/kWh (EMISSION_FACTOR): 0.1 g.
        #expect(abs((registry.records().first?.carbonGrams ?? 0) - 0.1) < 1e-9)
        Fixtures.sample(registry, seconds: 3600, atUnixSeconds: 150)
        // Then an hour at the file's 1,000 g/kWh: 1 g more.
        #expect(abs((registry.records().first?.carbonGrams ?? 0) - 1.1) < 1e-9)
    }
}
