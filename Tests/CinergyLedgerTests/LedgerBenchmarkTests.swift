import CinergyCore
@testable import CinergyLedger
import CinergySystem
import Foundation
import GRDB
import SystemPackage
import Testing

/// The ledger's figures for docs/BENCHMARKS.md ("Ledger"): CPU per flush and per VM, database size
/// per VM per day and per year, report latency for 100 VMs over 30 days. The data is written with
/// the store's own API into a database file on disk. Runs only with `CINERGY_LEDGER_BENCH=1`:
///
///     CINERGY_LEDGER_BENCH=1 swift test --skip-build --filter LedgerBenchmarkTests
@Suite("Ledger benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["CINERGY_LEDGER_BENCH"] == "1"))
struct LedgerBenchmarkTests {
    static let day = 86400.0
    static let end = 1_796_083_200.0  // 2026-12-01T00:00:00Z

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func fileBytes(_ path: String) -> Int64 {
        ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int64) ?? 0)
        }
    }

    static func identity(_ index: Int) -> VMIdentity {
        VMIdentity(
            name: "vm-\(index)", uuid: String(format: "00000000-0000-4000-8000-%012d", index),
            process: ProcessIdentity(pid: Int32(index + 1), startTimeTicks: 1), vcpus: 2, source: .libvirt,
            nova: NovaInstance(displayName: "vm-\(index)", projectID: "project-\(index % 7)", projectName: "p\(index % 7)")
        )
    }

    /// Writes `vmCount` VMs over `days` days before `end`: hour buckets for all of it (one
    /// minute entry per hour, which the store adds to the hour's bucket), full minute buckets for
    /// the last `minuteHours` hours; then prunes minutes older than that and checkpoints.
    static func generate(_ store: LedgerStore, vmCount: Int, days: Double, minuteHours: Double) throws {
        let start = end - days * day
        let minuteStart = end - minuteHours * 3600
        var hour = start
        while hour < minuteStart {
            var batch = LedgerBatch()
            // A day of hours per transaction.
            for index in 0..<vmCount {
                var minutes: [Int64: BucketAmount] = [:]
                var t = hour
                while t < min(hour + day, minuteStart) {
                    minutes[Int64(t)] = BucketAmount(energyJoules: 36_000 + Double(index), carbonGrams: 0.5, runningSeconds: 3600)
                    t += 3600
                }
                batch.entries[identity(index).ledgerKey] = LedgerBatch.Entry(
                    identity: identity(index), firstSeenUnixSeconds: start, lastSeenUnixSeconds: t, minutes: minutes
                )
            }
            try store.write(batch)
            hour += day
        }
        var minute = minuteStart
        while minute < end {
            var batch = LedgerBatch()
            // An hour of minutes per transaction.
            for index in 0..<vmCount {
                var minutes: [Int64: BucketAmount] = [:]
                for m in 0..<60 {
                    minutes[Int64(minute) + Int64(m * 60)] = BucketAmount(energyJoules: 600, carbonGrams: 0.01, runningSeconds: 60)
                }
                batch.entries[identity(index).ledgerKey] = LedgerBatch.Entry(
                    identity: identity(index), firstSeenUnixSeconds: start, lastSeenUnixSeconds: minute, minutes: minutes
                )
            }
            try store.write(batch)
            minute += 3600
        }
        try store.write(LedgerBatch(), pruneMinutesBefore: Int64(minuteStart), pruneHoursBefore: nil)
        try store.queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
        try store.checkpoint()
    }

    static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return times.sorted()[runs / 2]
    }

    @Test("report latency: 100 VMs over 30 days")
    func reportLatency() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        let store = try LedgerStore(path: FilePath(path))
        let generated = ContinuousClock.now
        try Self.generate(store, vmCount: 100, days: 30, minuteHours: 48)
        print("ledger bench: generated 100 VMs x 30 days in \(ContinuousClock.now - generated), \(Self.fileBytes(path)) bytes")
        let from = Self.end - 30 * Self.day
        var rows = 0
        let report30 = try Self.median(11) {
            rows = try store.reportNow(period: LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: Self.end), by: .vm).rows.count
        }
        #expect(rows == 100)
        let report24 = try Self.median(11) {
            _ = try store.reportNow(period: LedgerPeriod(fromUnixSeconds: Self.end - Self.day, toUnixSeconds: Self.end), by: .vm)
        }
        let vm = try #require(try store.allVMsNow().first { $0.id == 1 })
        let series30 = try Self.median(11) {
            _ = try store.seriesNow(vm: vm, period: LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: Self.end), stepSeconds: 86400).get()
        }
        let series24 = try Self.median(11) {
            _ = try store.seriesNow(
                vm: vm, period: LedgerPeriod(fromUnixSeconds: Self.end - Self.day, toUnixSeconds: Self.end), stepSeconds: 60
            ).get()
        }
        print(
            String(
                format: "ledger bench: report 100 VMs x 30 d (hour buckets) %.1f ms; report 100 VMs x 24 h (minute buckets) %.1f ms; "
                    + "/energy one VM 30 d step 1d %.2f ms; one VM 24 h step 1m %.2f ms",
                report30 * 1000, report24 * 1000, series30 * 1000, series24 * 1000
            )
        )
    }

    @Test("database size per VM per day and per year")
    func size() throws {
        let vmCount = 20
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Empty schema.
        let emptyPath = directory.path + "/empty.sqlite"
        let empty = try LedgerStore(path: FilePath(emptyPath))
        try empty.checkpoint()
        let emptyBytes = Self.fileBytes(emptyPath)
        // A year of hour buckets, no minute buckets.
        let yearPath = directory.path + "/year.sqlite"
        try Self.generate(try LedgerStore(path: FilePath(yearPath)), vmCount: vmCount, days: 365, minuteHours: 0)
        let yearBytes = Self.fileBytes(yearPath)
        // The 48 h minute window, no older hours.
        let windowPath = directory.path + "/window.sqlite"
        try Self.generate(try LedgerStore(path: FilePath(windowPath)), vmCount: vmCount, days: 2, minuteHours: 48)
        let windowBytes = Self.fileBytes(windowPath)
        let hourPerVMYear = Double(yearBytes - emptyBytes) / Double(vmCount)
        let windowPerVM = Double(windowBytes - emptyBytes) / Double(vmCount)
        print(
            String(
                format: "ledger bench: empty %lld B; hour buckets %.0f B per VM per year (%.0f B per VM per day); "
                    + "48 h of minute buckets (+ their 48 hour buckets) %.0f B per VM (%.0f B per VM per day of minutes); "
                    + "at the defaults (48 h minutes, 400 d hours): %.0f B per VM after a year, %.0f B at steady state",
                emptyBytes, hourPerVMYear, hourPerVMYear / 365, windowPerVM, windowPerVM / 2, hourPerVMYear + windowPerVM,
                hourPerVMYear * 400 / 365 + windowPerVM
            )
        )
    }

    @Test("CPU per flush and per VM", arguments: [10, 100, 1000])
    func flushCPU(vmCount: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let registry = VMRegistry(accounting: Fixtures.accounting)
        registry.reconcile(source: .libvirt, observed: (0..<vmCount).map(Self.identity), nowUnixSeconds: Self.end)
        let clock = ManualClock(Self.end)
        let ledger = Ledger(
            configuration: LedgerConfiguration(stateDirectory: directory.filePath), registry: registry, logger: Fixtures.logger,
            clock: { clock.now }
        )
        ledger.flushNow()
        let flushes = 60
        var cpu = 0.0
        var wall = 0.0
        for _ in 0..<flushes {
            // Ten seconds of samples between two flushes, as at the defaults.
            for _ in 0..<10 {
                clock.advance(1)
                Fixtures.sample(registry, seconds: 1, atUnixSeconds: clock.now)
            }
            let cpuBefore = Self.processCPUSeconds()
            let wallBefore = ContinuousClock.now
            ledger.flushNow()
            let elapsed = ContinuousClock.now - wallBefore
            wall += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            cpu += Self.processCPUSeconds() - cpuBefore
        }
        #expect(ledger.status().state == .ok)
        print(
            String(
                format: "ledger bench: %d VMs: %.2f ms CPU per flush (%.1f us per VM), %.2f ms wall per flush, database %lld B",
                vmCount, cpu / Double(flushes) * 1000, cpu / Double(flushes) / Double(vmCount) * 1e6, wall / Double(flushes) * 1000,
                Self.fileBytes(directory.path + "/ledger.sqlite")
            )
        )
    }
}
