import CinergyCore
@testable import CinergyLedger
import Foundation
import GRDB
import SystemPackage
import Testing

/// The held minutes: a flush writes the amounts of the block of minutes still running as one row
/// for all VMs; the VM rows and buckets get them once the block is over, at the agent's last flush, or at
/// the next open after a kill. Every read adds them. Real SQLite file.
@Suite("Ledger: the minute held", .serialized)
struct LedgerHeldMinuteTests {
    /// 2026-12-01T00:00:00Z.
    static let start = 1_796_083_200.0

    static func ledger(_ directory: TemporaryDirectory, registry: VMRegistry, clock: ManualClock) -> Ledger {
        Ledger(
            configuration: LedgerConfiguration(stateDirectory: directory.filePath, flushIntervalSeconds: 10),
            registry: registry, logger: Fixtures.logger, clock: { clock.now }
        )
    }

    /// The bucket tables' and the VM row's own figures, read with SQL (what a reader that does not
    /// add the held row would see), and whether the held row exists.
    static func tables(_ path: String) throws -> (minutes: Double, hours: Double, vm: Double, held: Bool) {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            (
                try Double.fetchOne(db, sql: "SELECT total(energy_joules) FROM minute_bucket") ?? 0,
                try Double.fetchOne(db, sql: "SELECT total(energy_joules) FROM hour_bucket") ?? 0,
                try Double.fetchOne(db, sql: "SELECT total(energy_joules) FROM vm") ?? 0,
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM held_minute)") ?? false
            )
        }
    }

    @Test("the running block of minutes is held in one row, read by every query, and written out once it is over")
    func heldThenWrittenOut() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        let clock = ManualClock(Self.start)
        let registry = VMRegistry(accounting: Fixtures.accounting)
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        // 00:00:10: the VM's first flush writes it out whole (its row did not exist).
        clock.advance(10)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.flushNow()
        var tables = try Self.tables(path)
        #expect(tables.minutes == 10 && tables.vm == 10 && !tables.held)
        // 00:00:20 to 00:00:50: held; the tables stay at 10 J, every read says 50 J.
        for _ in 0..<4 {
            clock.advance(10)
            Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
            ledger.flushNow()
        }
        tables = try Self.tables(path)
        #expect(tables.minutes == 10 && tables.hours == 10 && tables.vm == 10 && tables.held)
        let store = try #require(ledger.store)
        #expect(try store.totals()["u-a"]?.joules == 50)
        #expect(try store.accounts()["u-a"]?.totals.energyJoules == 50)
        let wholeHour = LedgerPeriod(fromUnixSeconds: Self.start, toUnixSeconds: Self.start + 3600)
        #expect(try store.reportNow(period: wholeHour, by: .vm).rows.first?.amount.energyJoules == 50)
        let firstMinute = LedgerPeriod(fromUnixSeconds: Self.start, toUnixSeconds: Self.start + 60)
        #expect(try store.reportNow(period: firstMinute, by: .vm).rows.first?.amount.energyJoules == 50)
        let vm = try #require(try store.allVMsNow().first)
        let minutes = try store.seriesNow(vm: vm, period: wholeHour, stepSeconds: 60).get().points.map(\.amount.energyJoules)
        #expect(minutes.prefix(2) == [50, 0])
        let hours = try store.seriesNow(vm: vm, period: wholeHour, stepSeconds: 3600).get().points.map(\.amount.energyJoules)
        #expect(hours == [50])
        // 00:01:00 and 00:01:10: the first minute is over, but its block of five minutes
        // (LedgerConfiguration.writeOutMinutes) is not: still held.
        clock.advance(10)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.flushNow()
        clock.advance(10)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.flushNow()
        tables = try Self.tables(path)
        #expect(tables.minutes == 10 && tables.hours == 10 && tables.vm == 10 && tables.held)
        #expect(try store.totals()["u-a"]?.joules == 70)
        // On to 00:05:00: the block is over and written out at that flush, every minute of it
        // once; nothing of the next block yet, so no held row.
        while clock.now < Self.start + 300 {
            clock.advance(10)
            Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
            ledger.flushNow()
        }
        tables = try Self.tables(path)
        #expect(tables.minutes == 300 && tables.hours == 300 && tables.vm == 300 && !tables.held)
        let written = try store.seriesNow(vm: vm, period: wholeHour, stepSeconds: 60).get().points.map(\.amount.energyJoules)
        #expect(written.prefix(6) == [60, 60, 60, 60, 60, 0])
        clock.advance(10)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.flushNow()
        tables = try Self.tables(path)
        #expect(tables.minutes == 300 && tables.vm == 300 && tables.held)
        #expect(try store.totals()["u-a"]?.joules == 310)
        // The agent's last flush writes everything out.
        ledger.flushNow(final: true)
        tables = try Self.tables(path)
        #expect(tables.minutes == 310 && tables.hours == 310 && tables.vm == 310 && !tables.held)
        #expect(try store.reportNow(period: wholeHour, by: .vm).rows.first?.amount.energyJoules == 310)
    }

    @Test("an agent killed with a minute held: the next open writes it out, once; nothing lost, nothing twice")
    func killedWhileHeld() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        let clock = ManualClock(Self.start)
        do {
            let registry = VMRegistry(accounting: Fixtures.accounting)
            let ledger = Self.ledger(directory, registry: registry, clock: clock)
            registry.reconcile(
                source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a"), Fixtures.vm("b", pid: 2, uuid: "u-b")],
                nowUnixSeconds: clock.now
            )
            for _ in 0..<5 {
                clock.advance(10)
                Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
                ledger.flushNow()
            }
            #expect(try Self.tables(path).held)
            // No last flush, no close: the store and its lock go as with a SIGKILL.
        }
        // A read-only reader (cinergy report) of the killed agent's file adds the held minute.
        let reader = try LedgerStore(readingOnly: FilePath(path))
        #expect(try reader.totals().mapValues(\.joules) == ["u-a": 50, "u-b": 50])
        let period = LedgerPeriod(fromUnixSeconds: Self.start, toUnixSeconds: Self.start + 3600)
        #expect(try reader.reportNow(period: period, by: .vm).rows.map(\.amount.energyJoules) == [50, 50])
        // A period that cuts the held minute: prorated as the same minute is once written out.
        let cut = LedgerPeriod(fromUnixSeconds: Self.start + 5, toUnixSeconds: Self.start + 30)
        let cutWhileHeld = try reader.reportNow(period: cut, by: .vm).rows.map(\.amount)
        #expect(cutWhileHeld.count == 2 && cutWhileHeld.allSatisfy { $0.energyJoules > 0 && $0.energyJoules < 50 })
        // The next agent's open writes the held minute out to the rows, once.
        let registry = VMRegistry(accounting: Fixtures.accounting)
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        ledger.flushNow()
        let tables = try Self.tables(path)
        #expect(tables.minutes == 100 && tables.hours == 100 && tables.vm == 100 && !tables.held)
        let store = try #require(ledger.store)
        #expect(try store.totals().mapValues(\.joules) == ["u-a": 50, "u-b": 50])
        #expect(try store.reportNow(period: period, by: .vm).rows.map(\.amount.energyJoules) == [50, 50])
        #expect(try store.reportNow(period: cut, by: .vm).rows.map(\.amount) == cutWhileHeld)
    }

    /// Samples every VM of `registry` at `atUnixSeconds` over `seconds`, at 50 % of a CPU, with its
    /// process's cumulative CPU ticks (as the agent's sampler does: checkpoints move).
    static func sampleWithTicks(_ registry: VMRegistry, seconds: Double, atUnixSeconds: Double) {
        Fixtures.sample(registry, seconds: seconds, atUnixSeconds: atUnixSeconds, cpuTicks: UInt64((atUnixSeconds - start) * 50))
    }

    @Test("the accounts own the running minute: a failed flush and a reopen of the same file count each joule once")
    func reopenedWhileHeld() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        let clock = ManualClock(Self.start)
        let registry = VMRegistry(accounting: Fixtures.accounting)
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        for _ in 0..<3 {
            clock.advance(10)
            Self.sampleWithTicks(registry, seconds: 10, atUnixSeconds: clock.now)
            ledger.flushNow()
        }
        #expect(try Self.tables(path) == (minutes: 10, hours: 10, vm: 10, held: true))
        // 00:00:40 counted, not flushed; the store is dropped as a damaged write would; 00:00:50 counted.
        clock.advance(10)
        Self.sampleWithTicks(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.testDropStore()
        clock.advance(10)
        Self.sampleWithTicks(registry, seconds: 10, atUnixSeconds: clock.now)
        // The reopen writes the held row (30 J) out; the accounts go on from its checkpoint.
        ledger.flushNow()
        #expect(ledger.status().state == .ok)
        let total = try #require(ledger.store).totals()["u-a"]?.joules ?? 0
        #expect(abs(total - 50) < 1e-9, "\(total)")
        // 00:01:10: the minute is over and written out; then the last flush.
        clock.advance(20)
        Self.sampleWithTicks(registry, seconds: 20, atUnixSeconds: clock.now)
        ledger.flushNow(final: true)
        let tables = try Self.tables(path)
        #expect(abs(tables.vm - 70) < 1e-9 && abs(tables.minutes - 70) < 1e-9 && abs(tables.hours - 70) < 1e-9 && !tables.held, "\(tables)")
        #expect(abs((registry.accounts.totals("u-a")?.energyJoules ?? 0) - 70) < 1e-9)
    }

    @Test("the held row's coding: identity, Nova names, checkpoint, buckets of two model versions, unaccounted figures")
    func coding() throws {
        let identity = VMIdentity(
            name: "vm-é", uuid: "u-1", process: nil, vcpus: 0, source: .procfs,
            nova: NovaInstance(displayName: "web", projectID: "p1", projectName: nil, userID: "u", userName: "ü", flavorName: "m1")
        )
        let checkpoint = LedgerCheckpoint(process: ProcessIdentity(pid: 42, startTimeTicks: 7), cpuTicks: 1234, unixSeconds: 99.5)
        let entry = HeldEntry(
            key: "u-1", vmID: 3, identity: identity, firstSeenUnixSeconds: 1.25, lastSeenUnixSeconds: 2.5, checkpoint: checkpoint,
            buckets: [
                HeldEntry.Bucket(
                    minuteStart: 60, modelVersionID: 1,
                    amount: BucketAmount(
                        energyJoules: 3, staticJoules: 1, dynamicJoules: 2, carbonGrams: 0.5, runningSeconds: 10, cpuSeconds: 4,
                        reconstructedJoules: 0.25, embodiedGrams: 0.125, attributedJoules: nil
                    )
                ),
                HeldEntry.Bucket(
                    minuteStart: 60, modelVersionID: 2, amount: BucketAmount(energyJoules: 1, attributedJoules: 0.75, attributedSeconds: 7.5)
                ),
            ]
        )
        let bare = HeldEntry(
            key: "name:x", vmID: 4, identity: VMIdentity(name: "x", uuid: nil, process: nil, vcpus: 0, source: .procfs),
            firstSeenUnixSeconds: 0, lastSeenUnixSeconds: 0, checkpoint: nil, buckets: []
        )
        var encoder = HeldMinuteEncoder(capacity: 0)
        encoder.append(count: 2)
        encoder.append(entry)
        encoder.append(bare)
        var decoder = HeldMinuteDecoder(encoder.bytes)
        let decoded = try decoder.entries()
        #expect(decoded.count == 2)
        let first = try #require(decoded.first)
        #expect(first.key == "u-1" && first.vmID == 3 && first.identity.name == "vm-é" && first.identity.uuid == "u-1")
        #expect(first.identity.nova == identity.nova)
        #expect(first.firstSeenUnixSeconds == 1.25 && first.lastSeenUnixSeconds == 2.5)
        #expect(first.checkpoint == checkpoint)
        #expect(first.buckets.map(\.modelVersionID) == [1, 2])
        #expect(first.buckets.map(\.amount) == entry.buckets.map(\.amount))
        #expect(decoded.last?.key == "name:x" && decoded.last?.identity.uuid == nil && decoded.last?.checkpoint == nil)
        // Cut short, or of another format: refused, never read as something else.
        var short = HeldMinuteDecoder(Array(encoder.bytes.dropLast()))
        #expect(throws: HeldMinuteDecoder.Failure.self) { try short.entries() }
        var other = HeldMinuteDecoder([9] + encoder.bytes.dropFirst())
        #expect(throws: HeldMinuteDecoder.Failure.self) { try other.entries() }
    }

    @Test("a held row of format 1 (before the attributed seconds) is read, its attributed joules covering their running seconds")
    func formatOne() throws {
        let bucket = HeldEntry.Bucket(
            minuteStart: 120, modelVersionID: 1, amount: BucketAmount(energyJoules: 3, runningSeconds: 20, attributedJoules: 4.5)
        )
        let entry = HeldEntry(
            key: "u-1", vmID: 3, identity: VMIdentity(name: "a", uuid: "u-1", process: nil, vcpus: 0, source: .procfs),
            firstSeenUnixSeconds: 1, lastSeenUnixSeconds: 2, checkpoint: nil, buckets: [bucket]
        )
        var encoder = HeldMinuteEncoder(capacity: 0)
        encoder.append(count: 1)
        encoder.append(entry)
        // Format 1 is format 2 without the last eight bytes of each bucket: here the blob's last.
        #expect(encoder.bytes.first == HeldMinuteCoding.version)
        var decoder = HeldMinuteDecoder([1] + encoder.bytes.dropFirst().dropLast(8))
        let decoded = try #require(try decoder.entries().first?.buckets.first?.amount)
        #expect(decoded.attributedJoules == 4.5 && decoded.attributedSeconds == 20 && decoded.energyJoules == 3)
    }
}
