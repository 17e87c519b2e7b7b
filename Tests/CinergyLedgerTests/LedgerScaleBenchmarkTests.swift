import CinergyCore
@testable import CinergyLedger
import CinergySystem
import Foundation
import GRDB
import SystemPackage
import Testing

/// The ledger at the size issue 17 names: 1,000 VMs with 400 days of hour buckets and 48 hours of
/// minute buckets (docs/BENCHMARKS.md, "Ledger at scale"). The database is filled with SQL (the
/// store's API would take an hour), then the real `Ledger` opens it (start-up: `quick_check`,
/// migrations, the stored accounts and the rebase), flushes 1,000 VMs with checkpoints, and
/// prunes an hour of minutes and a day of hours. Runs only with `CINERGY_LEDGER_BENCH=1`:
///
///     CINERGY_LEDGER_BENCH=1 swift test --skip-build --filter LedgerScaleBenchmarkTests
@Suite("Ledger at scale", .serialized, .enabled(if: ProcessInfo.processInfo.environment["CINERGY_LEDGER_BENCH"] == "1"))
struct LedgerScaleBenchmarkTests {
    static let vmCount = 1000
    static let days = 400
    static let minuteHours = 48
    static let end = 1_796_083_200  // 2026-12-01T00:00:00Z

    static func identity(_ index: Int) -> VMIdentity {
        VMIdentity(
            name: "vm-\(index)", uuid: String(format: "00000000-0000-4000-8000-%012d", index),
            process: ProcessIdentity(pid: Int32(index + 100), startTimeTicks: 1), vcpus: 2, source: .libvirt,
            nova: NovaInstance(displayName: "vm-\(index)", projectID: "project-\(index % 7)", projectName: "p\(index % 7)")
        )
    }

    /// Process CPU time (user + system), seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Wall and CPU seconds of `body`.
    static func measure(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        let cpu = cpuSeconds()
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, cpuSeconds() - cpu)
    }

    /// `seconds` rounds of one-second samples of every VM at 10 % of a CPU, with CPU ticks
    /// (checkpoints move), the clock advanced by each.
    static func sampleEverySecond(_ registry: VMRegistry, clock: ManualClock, ticks: inout UInt64, seconds: Int) {
        for _ in 0..<seconds {
            clock.advance(1)
            ticks += 10
            Fixtures.sample(registry, seconds: 1, atUnixSeconds: clock.now, cpuUsagePercent: 10, cpuTicks: ticks)
        }
    }

    /// Fills `path` with the VMs, their hours over `days` and their minutes over the last `minuteHours`.
    static func generate(_ path: String) throws {
        let store = try LedgerStore(path: FilePath(path))
        let version = try store.modelVersionID(parameters: "REG_COEFF=10,0.5", unixSeconds: Double(end - days * 86400))
        let firstHour = end - days * 86400
        let firstMinute = end - minuteHours * 3600
        try store.queue.write { db in
            try db.execute(
                sql: """
                    WITH RECURSIVE v(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM v WHERE i < ?)
                    INSERT INTO vm (key, name, uuid, nova_project_id, nova_project_name, first_seen, last_seen,
                                    checkpoint_pid, checkpoint_start_ticks, checkpoint_cpu_ticks, checkpoint_unix)
                    SELECT printf('00000000-0000-4000-8000-%012d', i), 'vm-' || i, printf('00000000-0000-4000-8000-%012d', i),
                           'project-' || (i % 7), 'p' || (i % 7), ?, ?, i + 100, 1, 0, ?
                    FROM v
                    """,
                arguments: [vmCount - 1, firstHour, end, end]
            )
        }
        // A day of hours per transaction, in key order (start, VM).
        var day = firstHour
        while day < end {
            try store.queue.write { db in
                try db.execute(
                    sql: """
                        WITH RECURSIVE h(t) AS (SELECT ? UNION ALL SELECT t + 3600 FROM h WHERE t + 3600 < ?)
                        INSERT INTO hour_bucket (start, vm_id, model_version_id, energy_joules, static_joules, dynamic_joules,
                                                 carbon_grams, running_seconds, cpu_seconds, reconstructed_joules, embodied_grams)
                        SELECT t, vm.id, ?, 45000, 36000, 9000, 5.0, 3600, 360, 0, 1.2 FROM h, vm ORDER BY t, vm.id
                        """,
                    arguments: [day, min(day + 86400, end), version]
                )
            }
            day += 86400
        }
        var hour = firstMinute
        while hour < end {
            try store.queue.write { db in
                try db.execute(
                    sql: """
                        WITH RECURSIVE m(t) AS (SELECT ? UNION ALL SELECT t + 60 FROM m WHERE t + 60 < ?)
                        INSERT INTO minute_bucket (start, vm_id, model_version_id, energy_joules, static_joules, dynamic_joules,
                                                   carbon_grams, running_seconds, cpu_seconds, reconstructed_joules, embodied_grams)
                        SELECT t, vm.id, ?, 750, 600, 150, 0.083, 60, 6, 0, 0.02 FROM m, vm ORDER BY t, vm.id
                        """,
                    arguments: [hour, hour + 3600, version]
                )
            }
            hour += 3600
        }
        try store.queue.writeWithoutTransaction { db in
            try db.execute(sql: "UPDATE vm SET energy_joules = 45000.0 * 24 * ?", arguments: [days])
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    @Test("1,000 VMs × 400 days: start-up, flush and prune")
    func scale() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = directory.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let path = state + "/ledger.sqlite"
        let generation = try Self.measure { try Self.generate(path) }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        let rows = try LedgerStore(path: FilePath(path)).queue.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM hour_bucket") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM minute_bucket") ?? 0
            )
        }
        print("ledger scale: generated \(rows.0) hour rows and \(rows.1) minute rows, \(size / 1_000_000) MB, in \(Int(generation.wall)) s")
        #expect(rows.0 == Self.vmCount * Self.days * 24)
        #expect(rows.1 == Self.vmCount * Self.minuteHours * 60)

        // Start-up as the agent does it, cold: the page cache dropped (as root), so quick_check reads the file from disk.
        let cold = (try? "3\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)) != nil
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .libvirt, observed: (0..<Self.vmCount).map(Self.identity), nowUnixSeconds: Double(Self.end))
        let clock = ManualClock(Double(Self.end) + 1)
        let ledger = Ledger(
            configuration: LedgerConfiguration(stateDirectory: FilePath(state)), registry: registry, logger: Fixtures.logger,
            clock: { clock.now }
        )
        let startup = Self.measure { ledger.flushNow() }
        #expect(ledger.status().state == .ok)
        print("ledger scale: start-up (open, header check, migrate, accounts, rebase, first flush with prune; \(cold ? "cold page cache" : "warm page cache")): \(String(format: "%.2f", startup.wall)) s wall, \(String(format: "%.2f", startup.cpu)) s CPU")
        #expect(startup.wall > 0)

        // Steady flushes of 1,000 VMs (ten 1-second samples each, with CPU ticks: checkpoints move).
        var ticks: UInt64 = 0
        var flushes: [(wall: Double, cpu: Double)] = []
        for _ in 0..<30 {
            Self.sampleEverySecond(registry, clock: clock, ticks: &ticks, seconds: 10)
            flushes.append(Self.measure { ledger.flushNow() })
        }
        // Mean and maximum: most flushes hold the running minute only (one row), the first after
        // a minute is over writes that minute out (three rows per VM), so a median would hide it.
        let flushCPU = flushes.map(\.cpu).reduce(0, +) / Double(flushes.count)
        let flushWall = flushes.map(\.wall).reduce(0, +) / Double(flushes.count)
        let slowest = flushes.map(\.cpu).max() ?? 0
        print("ledger scale: flush of 1,000 VMs on the full database: \(String(format: "%.1f", flushCPU * 1000)) ms CPU (\(String(format: "%.1f", flushCPU / 1000 * 1e6)) us per VM), \(String(format: "%.1f", flushWall * 1000)) ms wall (means of 30 flushes over 300 s); the costliest \(String(format: "%.1f", slowest * 1000)) ms CPU")

        // Prune: an hour later, the minutes of an hour (60,000 rows) and a day later the hours of a day (24,000 rows) go.
        clock.advance(3600)
        let prune = Self.measure { ledger.flushNow() }
        print("ledger scale: flush with prune an hour later: \(String(format: "%.1f", prune.wall * 1000)) ms wall, \(String(format: "%.1f", prune.cpu * 1000)) ms CPU")
        let left = try LedgerStore(readingOnly: FilePath(path)).queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM minute_bucket WHERE start < ?", arguments: [Int(clock.now) - Self.minuteHours * 3600])
        }
        #expect(left == 0)

        // Schema v4's one-time cost on this file: its ALTER TABLE … ADD COLUMN with a constant
        // default rewrites no row, so the cost is building the four change_seq indexes; rebuilt here.
        let indexes = try LedgerStore(readingOnly: FilePath(path)).queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_change'")
        }
        #expect(indexes.count == 4)
        _ = try? "3\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)
        let migration = try Self.measure {
            try ledger.store?.queue.writeWithoutTransaction { db in
                for table in ["vm", "model_version", "minute_bucket", "hour_bucket"] {
                    try db.execute(sql: "DROP INDEX \(table)_change")
                    try db.execute(sql: "CREATE INDEX \(table)_change ON \(table)(change_seq)")
                }
            }
        }
        print("ledger scale: schema v4's change_seq indexes built on this file (cold): \(String(format: "%.2f", migration.wall)) s wall, \(String(format: "%.2f", migration.cpu)) s CPU")

        // The full check the agent runs beside the ledger after start-up (a connection of its own), cold.
        _ = try? "3\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)
        let check = try Self.measure { try LedgerStore.quickCheck(path: FilePath(path)) }
        print("ledger scale: quick_check beside the ledger (cold): \(String(format: "%.2f", check.wall)) s wall, \(String(format: "%.2f", check.cpu)) s CPU")
    }
}
