import CinergyCore
@testable import CinergyLedger
import Foundation
import GRDB
import SystemPackage
import Testing

/// The ledger with its real SQLite database on disk.
@Suite("Ledger on disk", .serialized)
struct LedgerStoreTests {
    static let start = 1_796_083_200.0  // 2026-12-01T00:00:00Z

    static func ledger(_ directory: TemporaryDirectory, registry: VMRegistry, clock: ManualClock) -> Ledger {
        Ledger(
            configuration: LedgerConfiguration(stateDirectory: directory.filePath, flushIntervalSeconds: 10),
            registry: registry, logger: Fixtures.logger, clock: { clock.now }
        )
    }

    @Test("totals written by one run are the next run's starting totals")
    func restart() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        do {
            let registry = VMRegistry(accounting: Fixtures.accounting)
            let ledger = Self.ledger(directory, registry: registry, clock: clock)
            ledger.flushNow()
            #expect(ledger.status().state == .ok)
            registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
            for _ in 0..<30 {
                clock.advance(10)
                Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
                ledger.flushNow()
            }
            #expect(registry.records().first?.energyJoules == 300)
        }
        // A new run: new registry, same directory.
        let registry = VMRegistry(accounting: Fixtures.accounting)
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        ledger.flushNow()
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 2, uuid: "u-a")], nowUnixSeconds: clock.now)
        #expect(registry.records().first?.energyJoules == 300)
        clock.advance(10)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.flushNow()
        let store = try #require(ledger.store)
        let totals = try store.totals()
        #expect(totals["u-a"]?.joules == 310)
        // The buckets add up to the counters' increase: 310 J over the 310 s.
        let report = try store.reportNow(
            period: LedgerPeriod(fromUnixSeconds: Self.start, toUnixSeconds: clock.now + 60), by: .vm
        )
        #expect(abs((report.rows.first?.amount.energyJoules ?? 0) - 310) < 1e-6)
        let vm = try #require(try store.allVMsNow().first)
        let hours = try store.seriesNow(
            vm: vm, period: LedgerPeriod(fromUnixSeconds: Self.start, toUnixSeconds: Self.start + 3600), stepSeconds: 3600
        ).get().points.map(\.amount)
        #expect(hours.count == 1)
        #expect(abs(hours[0].energyJoules - 310) < 1e-6)
        #expect(hours[0].runningSeconds <= 3600)
    }

    @Test("a second ledger on the same directory is locked out and leaves the database alone")
    func twoAgents() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        let first = Self.ledger(directory, registry: VMRegistry(accounting: Fixtures.accounting), clock: clock)
        first.flushNow()
        let secondRegistry = VMRegistry(accounting: Fixtures.accounting)
        secondRegistry.reconcile(source: .procfs, observed: [Fixtures.vm("b", pid: 1, uuid: "u-b")], nowUnixSeconds: clock.now)
        let second = Self.ledger(directory, registry: secondRegistry, clock: clock)
        clock.advance(10)
        Fixtures.sample(secondRegistry, seconds: 10, atUnixSeconds: clock.now)
        second.flushNow()
        #expect(second.status().state == .locked)
        #expect(second.status().detail?.contains("pid \(getpid())") == true)
        #expect(second.store == nil)
        #expect(try first.store?.totals().isEmpty == true)
    }

    @Test("a damaged database file is moved aside, not deleted, and a new one started")
    func corrupt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        let garbage = Data(repeating: 0x5A, count: 8192)
        try garbage.write(to: URL(fileURLWithPath: path))
        let ledger = Self.ledger(directory, registry: VMRegistry(accounting: Fixtures.accounting), clock: ManualClock(Self.start))
        ledger.flushNow()
        #expect(ledger.status().state == .ok)
        let aside = try #require(ledger.status().movedAsidePath)
        #expect(try Data(contentsOf: URL(fileURLWithPath: aside)) == garbage)
        #expect(try ledger.store?.totals().isEmpty == true)
    }

    @Test("a state directory that cannot be created: the ledger says why and retries")
    func uncreatable() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A regular file where the directory's parent should be.
        try Data().write(to: URL(fileURLWithPath: directory.path + "/file"))
        let ledger = Ledger(
            configuration: LedgerConfiguration(stateDirectory: .init(directory.path + "/file/state")),
            registry: VMRegistry(), logger: Fixtures.logger
        )
        ledger.flushNow()
        #expect(ledger.status().state == .unavailable)
        #expect(ledger.status().detail?.contains("cannot create") == true)
        // Once the obstacle is gone, the next flush opens it.
        try FileManager.default.removeItem(atPath: directory.path + "/file")
        try FileManager.default.createDirectory(atPath: directory.path + "/file", withIntermediateDirectories: false)
        ledger.flushNow()
        #expect(ledger.status().state == .ok)
    }

    @Test("old buckets are pruned by retention")
    func prune() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try LedgerStore(path: .init(directory.path + "/ledger.sqlite"))
        var batch = LedgerBatch()
        batch.entries["k"] = LedgerBatch.Entry(
            identity: Fixtures.vm("a", pid: 1), firstSeenUnixSeconds: 0, lastSeenUnixSeconds: 0,
            minutes: [0: BucketAmount(energyJoules: 1), 7200: BucketAmount(energyJoules: 1)]
        )
        try store.write(batch)
        try store.write(LedgerBatch(), pruneMinutesBefore: 3600, pruneHoursBefore: 3600)
        let (minutes, hours) = try store.queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM minute_bucket"), try Int.fetchOne(db, sql: "SELECT count(*) FROM hour_bucket"))
        }
        #expect(minutes == 1)
        #expect(hours == 1)
        #expect(try store.totals()["k"]?.joules == 2)
        // Once its last hour is pruned too, a VM gone longer than the hour retention goes.
        try store.write(LedgerBatch(), pruneMinutesBefore: 7300, pruneHoursBefore: 7300)
        #expect(try store.totals()["k"] == nil)
    }
}

extension LedgerStoreTests {
    @Test("a database damaged while the agent runs is moved aside; totals are not seeded twice")
    func corruptWhileRunning() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        let registry = VMRegistry(accounting: Fixtures.accounting)
        // An earlier run left 1,000 J for the VM.
        do {
            let store = try LedgerStore(path: .init(directory.path + "/ledger.sqlite"))
            var batch = LedgerBatch()
            batch.entries["u-a"] = LedgerBatch.Entry(
                identity: Fixtures.vm("a", pid: 1, uuid: "u-a"), firstSeenUnixSeconds: 0, lastSeenUnixSeconds: 0,
                minutes: [0: BucketAmount(energyJoules: 1000)]
            )
            try store.write(batch)
        }
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        ledger.flushNow()
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        #expect(registry.records().first?.energyJoules == 1000)
        // The file is overwritten with garbage under the running ledger; its connection is dropped
        // when a write fails, and the next flush finds the file damaged.
        let path = directory.path + "/ledger.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        ledger.testDropStore()
        clock.advance(10)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.flushNow()
        #expect(ledger.status().state == .ok)
        #expect(ledger.status().movedAsidePath != nil)
        // Not seeded a second time: 1,000 J + 10 J.
        #expect(registry.records().first?.energyJoules == 1010)
        // The new file's totals are what was written to it (the amounts since it was started);
        // the earlier 1,000 J stay in the file moved aside.
        #expect(try ledger.store?.totals()["u-a"]?.joules == 10)
    }
}

extension LedgerStoreTests {
    @Test("a database locked by another process: the flush fails, stays pending, and is written once the lock goes")
    func lockedByAnotherProcess() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .procfs, observed: [Fixtures.vm("a", pid: 1, uuid: "u-a")], nowUnixSeconds: clock.now)
        let ledger = Self.ledger(directory, registry: registry, clock: clock)
        ledger.flushNow()
        #expect(ledger.status().state == .ok)
        // Another process (Python's sqlite3) holds the write lock for 6 s.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); "
                + "print('locked', flush=True); time.sleep(6)",
            directory.path + "/ledger.sqlite",
        ]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        _ = output.fileHandleForReading.availableData  // "locked"
        clock.advance(10)
        Fixtures.sample(registry, seconds: 10, atUnixSeconds: clock.now)
        ledger.flushNow()
        #expect(ledger.status().state == .failing, "\(ledger.status())")
        #expect(ledger.status().pendingVMCount == 1)
        holder.waitUntilExit()
        ledger.flushNow()
        #expect(ledger.status().state == .ok)
        #expect(try ledger.store?.totals()["u-a"]?.joules == 10)
    }
}

extension LedgerStoreTests {
    @Test("a file damaged inside (its header intact) opens at once; the check beside it finds the damage, and the next flush moves it aside")
    func damagedInside() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        do {
            let store = try LedgerStore(path: FilePath(path))
            var batch = LedgerBatch()
            for index in 0..<200 {
                batch.entries["u-\(index)"] = LedgerBatch.Entry(
                    identity: Fixtures.vm("vm-\(index)", pid: Int32(index + 1), uuid: "u-\(index)"), firstSeenUnixSeconds: 0,
                    lastSeenUnixSeconds: 0, minutes: (0..<30).reduce(into: [:]) { $0[Int64($1 * 60)] = BucketAmount(energyJoules: 1) }
                )
            }
            try store.write(batch)
            try store.checkpoint()
        }
        // Page 1 (the header and schema) stays; the last pages (buckets) become garbage.
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = handle.seekToEndOfFile()
        handle.seek(toFileOffset: size - 4 * 4096)
        handle.write(Data(repeating: 0x5A, count: 4 * 4096))
        handle.closeFile()
        #expect(throws: LedgerError.self) { try LedgerStore.quickCheck(path: FilePath(path)) }
        let ledger = Self.ledger(directory, registry: VMRegistry(accounting: Fixtures.accounting), clock: ManualClock(Self.start))
        ledger.flushNow()
        // Opened on the header check, the full check beside it finds the damage; or the first
        // write or read already met a damaged page: either way the file is dropped as corrupt.
        if ledger.integrityCheckDue { ledger.checkIntegrity() }
        if ledger.status().movedAsidePath == nil {
            #expect(ledger.status().state == .corrupt)
            ledger.flushNow()
        }
        #expect(ledger.status().state == .ok)
        let aside = try #require(ledger.status().movedAsidePath)
        #expect(FileManager.default.fileExists(atPath: aside))
        #expect(try LedgerStore.quickCheck(path: FilePath(path)) == ())
    }
}
