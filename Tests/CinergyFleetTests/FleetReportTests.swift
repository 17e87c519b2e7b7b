import CinergyCore
import CinergyLedger
import Foundation
import PostgresNIO
import Testing

@testable import CinergyFleet

extension FleetReplicationTests {
    /// The fleet's report from the real PostgreSQL `make test` starts, against the reports of the
    /// hosts' own ledgers (the SQLite files replicated to it). Nested in the replication's suite, so
    /// serialized with it: one of its tests stops the server for a while.
    @Suite("Fleet report from PostgreSQL", .timeLimit(.minutes(5)))
    struct FleetReportTests {
        static let minute0: Int64 = 1_764_547_200  // 2025-12-01T00:00:00Z

        /// Host A has VMs 0-4 for 90 minutes, host B VMs 0-5 for the 60 minutes after: VMs 0, 1, 2
        /// and 4 (UUIDs) moved from A to B; VM 3 has no UUID (one row per host); VM 5 is B's alone.
        static func twoHosts(_ replicators: TestReplicators, url: FleetDatabaseURL) async throws -> (TestLedger, TestLedger) {
            let a = try TestLedger()
            let b = try TestLedger()
            try a.flush(vmCount: 5, startMinute: minute0, minutes: 90)
            try b.flush(vmCount: 6, startMinute: minute0 + 90 * 60, minutes: 60, seed: 1.5)
            for (ledger, host) in [(a, "hv-a"), (b, "hv-b")] {
                let status = await replicators.make(ledger, url: url, password: try TestPostgres.password, host: host).replicateOnce()
                #expect(status.state == .ok, "\(status)")
            }
            return (a, b)
        }

        static func close(_ a: Double?, _ b: Double?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            return abs(a - b) <= 1e-9 * max(1, abs(a), abs(b))
        }

        static func close(_ a: PeriodAmount, _ b: PeriodAmount) -> Bool {
            close(a.energyJoules, b.energyJoules) && close(a.staticJoules, b.staticJoules) && close(a.dynamicJoules, b.dynamicJoules)
                && close(a.unsplitJoules, b.unsplitJoules) && close(a.reconstructedJoules, b.reconstructedJoules)
                && close(a.carbonGrams, b.carbonGrams) && close(a.embodiedGrams, b.embodiedGrams) && close(a.runningSeconds, b.runningSeconds)
                && close(a.cpuSeconds, b.cpuSeconds)
        }

        static func fleet(_ url: FleetDatabaseURL, hosts: [String] = [], _ period: LedgerPeriod, by grouping: ReportGrouping = .vm) async throws
            -> LedgerReport
        {
            try await FleetReport.report(
                url: url, password: try TestPostgres.password, hosts: hosts, period: period, by: grouping, logger: TestPostgres.logger
            )
        }

        /// Edges inside minutes, in the first hour and the third: prorated minute buckets at both ends.
        static let cutPeriod = LedgerPeriod(fromUnixSeconds: Double(minute0) + 17 * 60 + 25, toUnixSeconds: Double(minute0) + 2 * 3600 + 13 * 60 + 41)

        @Test("one host's fleet report is its ledger's report: same period plan, same rows, same amounts")
        func oneHostEqualsItsLedger() async throws {
            try await withReplicators { replicators in
                let url = try await TestPostgres.freshDatabase()
                let (a, b) = try await Self.twoHosts(replicators, url: url)
                for (ledger, host) in [(a, "hv-a"), (b, "hv-b")] {
                    for grouping in ReportGrouping.allCases {
                        let local = try ledger.store.reportNow(period: Self.cutPeriod, by: grouping)
                        let fleet = try await Self.fleet(url, hosts: [host], Self.cutPeriod, by: grouping)
                        #expect(fleet.plan == local.plan)
                        #expect(!fleet.plan.isWidened)
                        #expect(fleet.rows.map(\.vm) == local.rows.map(\.vm), "\(host) \(grouping)")
                        #expect(fleet.rows.map(\.projectID) == local.rows.map(\.projectID))
                        #expect(fleet.rows.map(\.vmCount) == local.rows.map(\.vmCount))
                        #expect(fleet.rows.map(\.modelVersionIDs.count) == local.rows.map(\.modelVersionIDs.count))
                        for (f, l) in zip(fleet.rows, local.rows) {
                            #expect(Self.close(f.amount, l.amount), "\(host) \(f.vm ?? f.projectID ?? "?"): \(f.amount) vs \(l.amount)")
                        }
                        #expect(Set(fleet.modelVersions.map(\.canonicalText)) == Set(local.modelVersions.map(\.canonicalText)))
                        #expect(fleet.total.energyJoules > 0)
                    }
                }
            }
        }

        @Test("the whole fleet: a VM that moved is one row, the sum of its hosts' intervals; a VM without UUID one row per host")
        func movedVMIsOneRow() async throws {
            try await withReplicators { replicators in
                let url = try await TestPostgres.freshDatabase()
                let (a, b) = try await Self.twoHosts(replicators, url: url)
                let localA = try a.store.reportNow(period: Self.cutPeriod, by: .vm)
                let localB = try b.store.reportNow(period: Self.cutPeriod, by: .vm)
                let fleet = try await Self.fleet(url, Self.cutPeriod)
                // VMs 0, 1, 2, 4 and 5 by UUID, VM 3 twice (once per host).
                #expect(fleet.rows.count == 7, "\(fleet.rows.map { $0.vm ?? "?" })")
                #expect(fleet.rows.filter { $0.vm == "vm-3" }.count == 2)
                for index in [0, 1, 2, 4, 5] {
                    let name = "vm-\(index)"
                    let rows = fleet.rows.filter { $0.vm == name }
                    #expect(rows.count == 1, "\(name)")
                    var sum = PeriodAmount()
                    for row in (localA.rows + localB.rows) where row.vm == name { sum += row.amount }
                    #expect(Self.close(rows.first?.amount ?? PeriodAmount(), sum), "\(name): \(rows.first?.amount as Any) vs \(sum)")
                    #expect(rows.first?.uuid == TestLedger.identity(index).uuid)
                }
                var total = localA.total
                total += localB.total
                #expect(Self.close(fleet.total, total))
                // Both model versions are named once, numbered from 1.
                #expect(fleet.modelVersions.map(\.id) == [1, 2])
                // By project: the same total, each project's VMs counted once.
                let byProject = try await Self.fleet(url, Self.cutPeriod, by: .project)
                #expect(Self.close(byProject.total, total))
                #expect(byProject.rows.first { $0.projectID == "project-0" }?.vmCount == 1)  // VM 0 (moved)
                #expect(byProject.rows.first { $0.projectID == "project-1" }?.vmCount == 1)  // VM 4 (moved)
                #expect(byProject.rows.first { $0.projectID == "project-2" }?.vmCount == 1)  // VM 2 (moved)
            }
        }

        @Test("a period whose edges fall where a host's minutes are no longer kept is widened to the hour grid, as locally")
        func widenedWhereMinutesArePruned() async throws {
            try await withReplicators { replicators in
                let url = try await TestPostgres.freshDatabase()
                let ledger = try TestLedger()
                try ledger.flush(vmCount: 2, startMinute: Self.minute0, minutes: 180)
                // The first hour's minutes gone from the central rows, as after replicating a pruned ledger.
                let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a")
                #expect(await replicator.replicateOnce().state == .ok)
                try await TestPostgres.withConnection(to: url) { connection in
                    try await connection.query(
                        "DELETE FROM cinergy_bucket WHERE resolution_seconds = 60 AND start < \(Self.minute0 + 3600 + 600)", logger: TestPostgres.logger
                    )
                }
                let fleet = try await Self.fleet(url, Self.cutPeriod)
                #expect(fleet.plan.isWidened)
                #expect(fleet.plan.summed.fromUnixSeconds == Double(Self.minute0))
                #expect(fleet.plan.summed.toUnixSeconds == Self.cutPeriod.toUnixSeconds)
                #expect(fleet.plan.requested == Self.cutPeriod)
                // The first hour whole (from its hour bucket), the rest as the ledger sums it.
                let local = try ledger.store.reportNow(
                    period: LedgerPeriod(fromUnixSeconds: Double(Self.minute0), toUnixSeconds: Self.cutPeriod.toUnixSeconds), by: .vm
                )
                #expect(Self.close(fleet.total, local.total), "\(fleet.total) vs \(local.total)")
            }
        }

        @Test("a host that has no rows, and a database without the schema, are errors that say so")
        func unknownHostAndNoSchema() async throws {
            try await withReplicators { replicators in
                let url = try await TestPostgres.freshDatabase()
                await #expect(throws: FleetReport.Failure.noSchema) { try await Self.fleet(url, Self.cutPeriod) }
                _ = try await Self.twoHosts(replicators, url: url)
                await #expect(throws: FleetReport.Failure.unknownHosts(["hv-z"])) { try await Self.fleet(url, hosts: ["hv-a", "hv-z"], Self.cutPeriod) }
            }
        }
    }
}
