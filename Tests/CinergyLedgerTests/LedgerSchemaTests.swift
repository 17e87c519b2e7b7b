import CinergyCore
@testable import CinergyLedger
import Foundation
import GRDB
import SystemPackage
import Testing

/// Schema v2 on a real SQLite file: a ledger written by v1 is carried over, and the write path
/// fills v2's columns.
@Suite("Ledger schema")
struct LedgerSchemaTests {
    @Test("a v1 ledger is migrated: its buckets kept under one unrecorded model version, split unknown, totals kept")
    func migratesV1() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try LedgerSchema.migrator.migrate(queue, upTo: "v1")
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO vm (id, key, name, first_seen, last_seen, energy_joules, carbon_grams)
                        VALUES (1, 'u-a', 'a', 100, 4000, 900, 0.5);
                        INSERT INTO minute_bucket VALUES (1, 3600, 300, 0.25, 60);
                        INSERT INTO minute_bucket VALUES (1, 3660, 600, 0.25, 60);
                        INSERT INTO hour_bucket VALUES (1, 3600, 900, 0.5, 120);
                        """
                )
            }
        }
        let store = try LedgerStore(path: FilePath(path))
        let versions = try store.modelVersions()
        #expect(versions.count == 1)
        #expect(versions.first?.canonicalText == ModelVersion.unrecordedParameters)
        let rows = try store.queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT start, vm_id, model_version_id, energy_joules, static_joules, dynamic_joules, carbon_grams,
                           running_seconds, cpu_seconds, reconstructed_joules FROM minute_bucket ORDER BY start
                    """
            )
        }
        #expect(rows.count == 2)
        #expect(rows.map { $0[3] as Double } == [300, 600])
        #expect(rows.allSatisfy { ($0[4] as Double?) == nil && ($0[5] as Double?) == nil && ($0[8] as Double?) == nil })
        #expect(rows.allSatisfy { ($0[2] as Int64) == versions[0].id && ($0[9] as Double) == 0 })
        let hour = try store.queue.read { db in try Double.fetchOne(db, sql: "SELECT energy_joules FROM hour_bucket") }
        #expect(hour == 900)
        let accounts = try store.accounts()
        #expect(accounts["u-a"]?.totals.energyJoules == 900)
        #expect(accounts["u-a"]?.checkpoint == nil)
        #expect(try store.hostState() == LedgerHostState())
    }

    @Test("a v5 ledger is migrated to v6: rows with attributed joules cover their running seconds, rows without have none")
    func migratesV5() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/ledger.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try LedgerSchema.migrator.migrate(queue, upTo: "v5")
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO model_version (id, parameters, first_used, last_used) VALUES (1, 'A=1', 0, 7200);
                        INSERT INTO vm (id, key, name, first_seen, last_seen, energy_joules, carbon_grams, running_seconds, attributed_joules)
                        VALUES (1, 'u-a', 'a', 3600, 3720, 120, 0.5, 120, 150), (2, 'u-b', 'b', 3600, 3660, 60, 0.25, 60, NULL);
                        INSERT INTO minute_bucket (start, vm_id, model_version_id, energy_joules, carbon_grams, running_seconds,
                                                   reconstructed_joules, attributed_joules)
                        VALUES (3600, 1, 1, 60, 0.25, 60, 0, 75), (3660, 1, 1, 60, 0.25, 60, 0, 75), (3600, 2, 1, 60, 0.25, 60, 0, NULL);
                        INSERT INTO hour_bucket (start, vm_id, model_version_id, energy_joules, carbon_grams, running_seconds,
                                                 reconstructed_joules, attributed_joules)
                        VALUES (3600, 1, 1, 120, 0.5, 120, 0, 150), (3600, 2, 1, 60, 0.25, 60, 0, NULL);
                        """
                )
            }
        }
        let store = try LedgerStore(path: FilePath(path))
        let seconds = try store.queue.read { db in
            try ["vm", "minute_bucket", "hour_bucket"].map { table in
                try Double?.fetchAll(db, sql: "SELECT attributed_seconds FROM \(table)")
            }
        }
        #expect(seconds[0].sorted { ($0 ?? -1) < ($1 ?? -1) } == [nil, 120])
        #expect(seconds[1].sorted { ($0 ?? -1) < ($1 ?? -1) } == [nil, 60, 60])
        #expect(seconds[2].sorted { ($0 ?? -1) < ($1 ?? -1) } == [nil, 120])
        let accounts = try store.accounts()
        #expect(accounts["u-a"]?.totals.attributedSeconds == 120)
        #expect(accounts["u-b"]?.totals.attributedJoules == nil && accounts["u-b"]?.totals.attributedSeconds == 0)
    }

    @Test("a flush writes the new columns: split, CPU time, reconstructed part, model version, checkpoint and host state")
    func writesV2() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try LedgerStore(path: FilePath(directory.path + "/ledger.sqlite"))
        let parameters = ModelVersion.canonicalText(ModelVersion.parameters(of: Fixtures.accounting, factorFile: nil))
        var batch = LedgerBatch(hostState: LedgerHostState(bootID: "boot", lastFlushUnixSeconds: 130, hostBusyTicks: 5, hostTotalTicks: 50))
        let amount = BucketAmount(
            energyJoules: 3, staticJoules: 1, dynamicJoules: 2, carbonGrams: 0.1, runningSeconds: 60, cpuSeconds: 30,
            reconstructedJoules: 0.5
        )
        let checkpoint = LedgerCheckpoint(process: ProcessIdentity(pid: 42, startTimeTicks: 7), cpuTicks: 1234, unixSeconds: 130)
        batch.entries["u-a"] = LedgerBatch.Entry(
            identity: Fixtures.vm("a", pid: 42, uuid: "u-a", start: 7), firstSeenUnixSeconds: 60, lastSeenUnixSeconds: 130,
            minutes: [60: amount, 120: amount], modelParameters: parameters, checkpoint: checkpoint
        )
        try store.write(batch)
        try store.write(batch)
        let account = try #require(try store.accounts()["u-a"])
        #expect(account.totals.energyJoules == 12)
        #expect(account.totals.staticJoules == 4)
        #expect(account.totals.dynamicJoules == 8)
        #expect(account.totals.cpuSeconds == 120)
        #expect(account.totals.reconstructedJoules == 2)
        #expect(account.checkpoint == checkpoint)
        #expect(try store.hostState() == batch.hostState)
        let versions = try store.modelVersions()
        #expect(versions.count == 1)
        #expect(versions[0].parameters.map(\.name) == ["CINERGY_RATIO", "DC_PUE", "EMISSION_FACTOR", "MODEL_INPUT", "MODEL_INPUT_MAX", "REG_COEFF", "SERVER_CORES", "STATIC_SHARE"])
        #expect(versions[0].firstUsedUnixSeconds == 60)
        #expect(versions[0].lastUsedUnixSeconds == 180)
        let hour = try store.queue.read { db in
            try Row.fetchOne(db, sql: "SELECT energy_joules, static_joules, dynamic_joules, cpu_seconds, running_seconds FROM hour_bucket")
        }
        #expect((hour?[0] as Double?) == 12)
        #expect((hour?[1] as Double?) == 4)
        #expect((hour?[3] as Double?) == 120)
        #expect((hour?[4] as Double?) == 240)
    }
}
