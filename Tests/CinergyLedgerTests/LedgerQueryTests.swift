import CinergyCore
@testable import CinergyLedger
import Foundation
import GRDB
import SystemPackage
import Testing

/// The ledger's named queries on a real SQLite file: where minute buckets are complete, buckets
/// from ledger v1, and the read-only store `cinergy report` opens.
@Suite("Ledger queries on disk", .serialized)
struct LedgerQueryTests {
    static let hour: Int64 = 1_796_083_200  // 2026-12-01T00:00:00Z

    static func entry(_ name: String, minutes: [Int64: BucketAmount], parameters: String = "X=1") -> LedgerBatch.Entry {
        LedgerBatch.Entry(
            identity: Fixtures.vm(name, pid: 1, uuid: "u-" + name), firstSeenUnixSeconds: Double(minutes.keys.min() ?? 0),
            lastSeenUnixSeconds: Double(minutes.keys.max() ?? 0) + 60, minutes: minutes, modelParameters: parameters
        )
    }

    static func steady(from: Int64, minutes: Int, watts: Double = 1) -> [Int64: BucketAmount] {
        var buckets: [Int64: BucketAmount] = [:]
        for minute in 0..<minutes {
            buckets[from + Int64(minute * 60)] = BucketAmount(
                energyJoules: 60 * watts, staticJoules: 20 * watts, dynamicJoules: 40 * watts, carbonGrams: 0, runningSeconds: 60,
                cpuSeconds: 6
            )
        }
        return buckets
    }

    @Test("minute buckets are complete from: all of them until one is pruned, then the first whole hour left")
    func minutesKeptFrom() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try LedgerStore(path: .init(directory.path + "/ledger.sqlite"))
        func kept() throws -> Double { try store.queue.read { try LedgerStore.minutesKeptFrom($0) } }
        #expect(try kept() == -.infinity)
        // A ledger that started at 00:17: nothing pruned, every minute there is.
        try store.write(LedgerBatch(entries: ["a": Self.entry("a", minutes: Self.steady(from: Self.hour + 17 * 60, minutes: 180))]))
        #expect(try kept() == -.infinity)
        // Samples whose intervals overlap by milliseconds (monotonic lengths ending at wall-clock
        // times): each minute caps its running time at 60 s, the hour (00:17 on, not full) counts
        // the 20 ms over: nothing is missing, the minutes are still all there.
        var overlapping: [Int64: BucketAmount] = [:]
        for minute in 17..<47 { overlapping[Self.hour + Int64(minute * 60)] = BucketAmount(runningSeconds: 0.02) }
        try store.write(LedgerBatch(entries: ["a": Self.entry("a", minutes: overlapping)]))
        #expect(try kept() == -.infinity)
        // Pruned at 01:30: hour 01 lost minutes, hour 02 on are whole.
        try store.write(LedgerBatch(), pruneMinutesBefore: Self.hour + 5400)
        #expect(try kept() == Double(Self.hour + 7200))
        // Pruned on the hour: that hour is whole.
        try store.write(LedgerBatch(), pruneMinutesBefore: Self.hour + 7200)
        #expect(try kept() == Double(Self.hour + 7200))
        // Every minute gone, hours left.
        try store.write(LedgerBatch(), pruneMinutesBefore: Self.hour + 86400)
        #expect(try kept() == .infinity)
        // A report then widens to the hours, exactly what they hold.
        let report = try store.reportNow(
            period: LedgerPeriod(fromUnixSeconds: Double(Self.hour) + 1800, toUnixSeconds: Double(Self.hour) + 9000), by: .vm
        )
        #expect(report.plan.summed == LedgerPeriod(fromUnixSeconds: Double(Self.hour), toUnixSeconds: Double(Self.hour) + 10800))
        // Hours 00 (from 00:17), 01 and 02.
        #expect(report.rows.first?.amount.energyJoules == Double((43 + 60 + 60) * 60))
    }

    @Test("buckets from ledger v1: their energy is unsplit, their version UNRECORDED")
    func v1Buckets() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try LedgerSchema.migrator.migrate(queue, upTo: "v1")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO vm (id, key, name, first_seen, last_seen, energy_joules) VALUES (1, 'k', 'old', 0, 0, 120)")
                for start in [Self.hour, Self.hour + 60] {
                    try db.execute(
                        sql: "INSERT INTO minute_bucket (vm_id, start, energy_joules, carbon_grams, running_seconds) VALUES (1, ?, 60, 0, 60)",
                        arguments: [start]
                    )
                }
                try db.execute(
                    sql: "INSERT INTO hour_bucket (vm_id, start, energy_joules, carbon_grams, running_seconds) VALUES (1, ?, 120, 0, 120)",
                    arguments: [Self.hour]
                )
            }
            // The read-only store does not migrate: it says so.
            #expect(throws: LedgerError.self) { try LedgerStore(readingOnly: .init(path)) }
        }
        let store = try LedgerStore(path: .init(path))
        // A v2 flush beside them, in the next minute.
        try store.write(LedgerBatch(entries: ["k": Self.entry("old", minutes: Self.steady(from: Self.hour + 120, minutes: 1))]))
        let report = try store.reportNow(
            period: LedgerPeriod(fromUnixSeconds: Double(Self.hour) + 30, toUnixSeconds: Double(Self.hour) + 180), by: .vm
        )
        let amount = try #require(report.rows.first?.amount)
        #expect(amount.energyJoules == 30 + 60 + 60)
        #expect(amount.unsplitJoules == 90)
        #expect(amount.staticJoules == 20)
        #expect(amount.dynamicJoules == 40)
        #expect(amount.cpuSeconds == 6)
        // Neither v1 buckets nor these accounted embodied emissions.
        #expect(amount.embodiedGrams == nil)
        #expect(amount.totalCarbonGrams == nil)
        #expect(amount.sciGramsPerVMHour == nil)
        #expect(report.modelVersions.map(\.canonicalText) == [ModelVersion.unrecordedParameters, "X=1"])
    }

    @Test("read-only: reads what a writer commits, while it writes, and never changes the file")
    func readOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = FilePath(directory.path + "/ledger.sqlite")
        #expect(throws: LedgerError.failed(path: path.string, reason: "there is no ledger database there")) {
            try LedgerStore(readingOnly: path)
        }
        let writer = try LedgerStore(path: path)
        try writer.write(LedgerBatch(entries: ["a": Self.entry("a", minutes: Self.steady(from: Self.hour, minutes: 1))]))
        let reader = try LedgerStore(readingOnly: path)
        let period = LedgerPeriod(fromUnixSeconds: Double(Self.hour), toUnixSeconds: Double(Self.hour) + 3600)
        #expect(try reader.reportNow(period: period, by: .vm).total.energyJoules == 60)
        try writer.write(LedgerBatch(entries: ["a": Self.entry("a", minutes: Self.steady(from: Self.hour + 60, minutes: 1))]))
        #expect(try reader.reportNow(period: period, by: .vm).total.energyJoules == 120)
        try writer.checkpoint()
        let before = try Data(contentsOf: URL(fileURLWithPath: path.string))
        _ = try reader.reportNow(period: period, by: .project)
        _ = try reader.allVMsNow()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path.string)) == before)
    }

    @Test("a VM's row gets its amounts by id while its identity stays, and its new name and Nova metadata once they change")
    func identityWrittenOnChange() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = FilePath(directory.path + "/ledger.sqlite")
        var identity = Fixtures.vm("a", pid: 1, uuid: "u-a")
        func write(_ store: LedgerStore, minute: Int64) throws {
            let start = Self.hour + minute * 60
            let entry = LedgerBatch.Entry(
                identity: identity, firstSeenUnixSeconds: Double(start), lastSeenUnixSeconds: Double(start + 60),
                minutes: Self.steady(from: start, minutes: 1), modelParameters: "X=1"
            )
            try store.write(LedgerBatch(entries: [identity.ledgerKey: entry]))
        }
        func row(_ store: LedgerStore) throws -> LedgerVM {
            let vms = try store.allVMsNow()
            #expect(vms.count == 1)
            return try #require(vms.first)
        }
        let store = try LedgerStore(path: path)
        try write(store, minute: 0)
        try write(store, minute: 1)
        #expect(try row(store).energyJoules == 120)
        // Renamed, with Nova's metadata: the row takes both, and the amounts go on adding up.
        identity.name = "a-renamed"
        identity.nova = NovaInstance(displayName: "web", projectID: "p-1", projectName: "shop")
        try write(store, minute: 2)
        var vm = try row(store)
        #expect(vm.name == "a-renamed" && vm.nova?.projectID == "p-1" && vm.energyJoules == 180)
        // Metadata gone from the identity: the row keeps what it had (as the insert's rules say).
        identity.nova = nil
        try write(store, minute: 3)
        try write(store, minute: 4)
        vm = try row(store)
        #expect(vm.nova?.projectName == "shop" && vm.energyJoules == 300)
        #expect(vm.firstSeenUnixSeconds == Double(Self.hour) && vm.lastSeenUnixSeconds == Double(Self.hour + 5 * 60))
        // Another store on the file (another run): its first write of the VM writes the identity.
        let next = try LedgerStore(path: path)
        identity.name = "a-again"
        try write(next, minute: 5)
        try write(next, minute: 6)
        vm = try row(next)
        #expect(vm.name == "a-again" && vm.energyJoules == 420)
        let report = try next.reportNow(period: LedgerPeriod(fromUnixSeconds: Double(Self.hour), toUnixSeconds: Double(Self.hour + 3600)), by: .vm)
        #expect(report.rows.count == 1 && report.rows.first?.amount.energyJoules == 420)
    }
}
