import CinergyCore
@testable import CinergyLedger
import Foundation
import GRDB
import SystemPackage
import Testing

/// The ledger's v3 columns, through the real accounts and a real SQLite file: each VM's share of
/// the server's embodied emissions (issue 19) and of the host meter's energy (issue 18), NULL
/// where they were not accounted.
@Suite("Ledger footprint columns")
struct LedgerFootprintTests {
    static let start = 1_796_083_200.0

    static func ledger(_ directory: TemporaryDirectory, registry: VMRegistry, clock: ManualClock) -> Ledger {
        Ledger(
            configuration: LedgerConfiguration(stateDirectory: directory.filePath, flushIntervalSeconds: 10),
            registry: registry, logger: Fixtures.logger, clock: { clock.now }
        )
    }

    static func sums(_ directory: TemporaryDirectory) throws -> (embodied: Double?, attributed: Double?, vmEmbodied: Double?, vmAttributed: Double?) {
        let store = try LedgerStore(path: FilePath(directory.path + "/ledger.sqlite"))
        return try store.queue.read { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT sum(embodied_grams), sum(attributed_joules) FROM minute_bucket"))
            let vm = try #require(try Row.fetchOne(db, sql: "SELECT embodied_grams, attributed_joules FROM vm"))
            return (row[0], row[1], vm[0], vm[1])
        }
    }

    @Test("embodied grams and attributed joules land in the buckets and the VM's totals, and continue after a restart")
    func footprint() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var accounting = Fixtures.accounting
        // 1,000 kg over 1,000,000 s: 1 g per second of the whole server (1 core: the VM's share is 1).
        accounting.embodied = EmbodiedModel(embodiedGrams: 1_000_000, lifetimeSeconds: 1_000_000)
        let clock = ManualClock(Self.start)
        let registry = VMRegistry(accounting: accounting)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        ledger.flushNow()
        for _ in 0..<30 {
            clock.advance(1)
            Fixtures.sample(registry, seconds: 1, atUnixSeconds: clock.now)
            // A meter says the VM is responsible for 2 W over the same second.
            registry.accounts.addAttributed(["u-a": 2], fromUnixSeconds: clock.now - 1, toUnixSeconds: clock.now)
        }
        ledger.flushNow()
        let stored = try Self.sums(directory)
        #expect(abs((stored.embodied ?? -1) - 30) < 1e-9)
        #expect(abs((stored.vmEmbodied ?? -1) - 30) < 1e-9)
        #expect(abs((stored.attributed ?? -1) - 60) < 1e-9)
        #expect(abs((stored.vmAttributed ?? -1) - 60) < 1e-9)
        #expect(registry.totals().first?.embodiedGrams.map { abs($0 - 30) < 1e-9 } == true)
        ledger.closeNow()

        // Another agent (same file): the totals continue from the stored ones.
        let registry2 = VMRegistry(accounting: accounting)
        registry2.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        let ledger2 = Self.ledger(directory, registry: registry2, clock: clock)
        ledger2.flushNow()
        #expect(registry2.accounts.totals("u-a")?.embodiedGrams.map { abs($0 - 30) < 1e-9 } == true)
        #expect(registry2.accounts.totals("u-a")?.attributedJoules.map { abs($0 - 60) < 1e-9 } == true)
    }

    @Test("without embodied emissions or a meter, both columns stay NULL (not accounted, not 0)")
    func unaccounted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        ledger.flushNow()
        for _ in 0..<10 {
            clock.advance(1)
            Fixtures.sample(registry, seconds: 1, atUnixSeconds: clock.now)
        }
        ledger.flushNow()
        let stored = try Self.sums(directory)
        #expect(stored.embodied == nil)
        #expect(stored.attributed == nil)
        #expect(stored.vmEmbodied == nil)
        #expect(stored.vmAttributed == nil)
    }
}
