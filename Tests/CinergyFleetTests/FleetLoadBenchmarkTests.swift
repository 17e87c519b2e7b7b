import CinergyCore
import CinergyLedger
import CinergySystem
import Foundation
import PostgresNIO
import SystemPackage
import Testing

@testable import CinergyFleet

/// A fleet replayed into one PostgreSQL through the agent's own replication code (docs/FLEET.md,
/// "Measured"): `CINERGY_FLEET_BENCH_HOSTS` hosts (default 100) of 30 VMs, each its own SQLite
/// ledger (``LedgerStore``, written as the agent's flush writes it) and its own ``FleetReplicator``
/// and connection, as each agent of a fleet has. First every host's backfill of
/// `CINERGY_FLEET_BENCH_MINUTES` minutes (default 60), 50 hosts at a time, then steady-state
/// rounds, every host at once on the connection it keeps: each host's ledger
/// writes out one more minute (what a flush writes when a minute is over) and every host sends it
/// at once. Then the central database's size per bucket row, and the agent's CPU per round for
/// one host of 30 and of 1,000 VMs. Runs only with `CINERGY_FLEET_BENCH=1` and the test
/// database's variables; one connection per host, so the server needs `max_connections` above the
/// host count:
///
///     d=$(scripts/postgres start); scripts/postgres stop $d
///     echo "-c max_connections=1200 -c fsync=on" > $d/options; scripts/postgres restart $d
///     set -a; . $d/env; set +a
///     CINERGY_FLEET_BENCH=1 swift test --skip-build --filter FleetLoadBenchmarkTests
///     scripts/postgres destroy $d
@Suite(
    "Fleet load replay", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["CINERGY_FLEET_BENCH"] == "1" && TestPostgres.isAvailable)
)
struct FleetLoadBenchmarkTests {
    static let environment = ProcessInfo.processInfo.environment
    static let hostCount = Int(environment["CINERGY_FLEET_BENCH_HOSTS"] ?? "") ?? 100
    static let backfillMinutes = Int(environment["CINERGY_FLEET_BENCH_MINUTES"] ?? "") ?? 60
    static let vmsPerHost = 30
    static let steadyRounds = 3
    static let minute0: Int64 = 1_764_547_200  // 2025-12-01T00:00:00Z
    static let model = "DC_PUE=1.2\nREG_COEFF=10,1"

    /// What a flush writes out for `vms` VMs over `minutes` minutes from `from`: one bucket per VM
    /// and minute, under one model version, the checkpoint moved.
    static func batch(vms: Int, from: Int64, minutes: Int, seed: Double) -> LedgerBatch {
        var batch = LedgerBatch()
        for index in 0..<vms {
            var buckets: [Int64: BucketAmount] = [:]
            for minute in 0..<minutes {
                let joules = seed * (600 + Double(index) + Double(minute) / 10)
                buckets[from + Int64(minute * 60)] = BucketAmount(
                    energyJoules: joules, staticJoules: joules / 3, dynamicJoules: joules * 2 / 3, carbonGrams: joules / 36_000,
                    runningSeconds: 60, cpuSeconds: 30, reconstructedJoules: 0, embodiedGrams: joules / 1000, attributedJoules: nil
                )
            }
            let identity = TestLedger.identity(index)
            batch.entries[identity.ledgerKey] = LedgerBatch.Entry(
                identity: identity, firstSeenUnixSeconds: Double(minute0), lastSeenUnixSeconds: Double(from) + Double(minutes * 60),
                minutes: buckets, modelParameters: model
            )
        }
        return batch
    }

    /// Seconds of CPU this process used so far (user + system, every thread).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Seconds of CPU the PostgreSQL cluster of scripts/postgres used so far: its postmaster's
    /// (with its exited children's) and every live child's, from /proc (nil when unknown).
    static func serverCPUSeconds() -> Double? {
        guard let directory = TestPostgres.directory,
            let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
            let postmaster = text.split(separator: "\n").first.flatMap({ Int($0) })
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        /// Fields after the command's closing parenthesis: state is [0], ppid [1], utime [11].
        func fields(_ pid: Int) -> [Substring]? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            return stat[stat.index(after: close)...].split(separator: " ")
        }
        guard let own = fields(postmaster) else { return nil }
        var total = (11...14).reduce(0.0) { $0 + (Double(own[$1]) ?? 0) }
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int($0) } ?? []
        for pid in pids where pid != postmaster {
            guard let child = fields(pid), child.count > 12, Int(child[1]) == postmaster else { continue }
            total += (Double(child[11]) ?? 0) + (Double(child[12]) ?? 0)
        }
        return total / ticks
    }

    struct Round: CustomStringConvertible {
        var seconds: Double
        var rows: Int
        var clientCPU: Double
        var serverCPU: Double?

        var description: String {
            let server = serverCPU.map { String(format: "%.2f s", $0) } ?? "unknown"
            return String(
                format: "%d rows in %.2f s wall (%.0f rows/s), this process %.2f s CPU (%.1f µs/row), PostgreSQL %@ CPU%@", rows, seconds,
                Double(rows) / seconds, clientCPU, clientCPU / Double(max(1, rows)) * 1e6, server,
                serverCPU.map { String(format: " (%.1f µs/row)", $0 / Double(max(1, rows)) * 1e6) } ?? ""
            )
        }
    }

    /// One round of every replicator, each on its own connection: all at once, or at most
    /// `concurrency` at a time.
    static func roundOfAll(_ replicators: [FleetReplicator], concurrency: Int? = nil) async -> Round {
        let rowsBefore = replicators.reduce(0) { $0 + $1.status().rowsSent }
        let cpuBefore = processCPUSeconds()
        let serverBefore = serverCPUSeconds()
        let clock = ContinuousClock()
        let start = clock.now
        let states = await withTaskGroup(of: FleetState.self) { group in
            var states: [FleetState] = []
            for (index, replicator) in replicators.enumerated() {
                if let concurrency, index >= concurrency, let state = await group.next() { states.append(state) }
                group.addTask { await replicator.replicateOnce().state }
            }
            for await state in group { states.append(state) }
            return states
        }
        let seconds = (clock.now - start) / .seconds(1)
        #expect(states.allSatisfy { $0 == .ok }, "\(Dictionary(states.map { ($0, 1) }, uniquingKeysWith: +))")
        let serverAfter = serverCPUSeconds()
        return Round(
            seconds: seconds, rows: replicators.reduce(0) { $0 + $1.status().rowsSent } - rowsBefore,
            clientCPU: processCPUSeconds() - cpuBefore, serverCPU: serverAfter.flatMap { after in serverBefore.map { after - $0 } }
        )
    }

    @Test("hosts x 30 VMs replicating into one PostgreSQL: rows per second, a round of all hosts, size per host-month")
    func loadReplay() async throws {
        let url = try await TestPostgres.freshDatabase()
        let directory = NSTemporaryDirectory() + "cinergy-fleet-load-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let password = try TestPostgres.password
        var stores: [LedgerStore] = []
        var replicators: [FleetReplicator] = []
        let backfill = Self.batch(vms: Self.vmsPerHost, from: Self.minute0, minutes: Self.backfillMinutes, seed: 1)
        for host in 0..<Self.hostCount {
            let store = try LedgerStore(path: FilePath(directory + "/host-\(host).sqlite"))
            try store.write(backfill)
            stores.append(store)
            let path = store.path
            replicators.append(
                FleetReplicator(
                    configuration: FleetConfiguration(
                        url: url, password: password, hostIdentity: "load-\(host)", intervalSeconds: 10, roundTimeoutSeconds: 1800
                    ),
                    ledgerPath: { path }, logger: TestPostgres.logger
                )
            )
        }
        // The schema first, once: a fleet's agents starting at once against an empty database
        // race to create it, and all but one retry a round later (docs/FLEET.md).
        let fsync = try await TestPostgres.withConnection(to: url) { connection in
            try await FleetSchema.migrate(connection, hostIdentity: "bench", logger: TestPostgres.logger)
            var value = "?"
            for try await setting in try await connection.query("SHOW fsync", logger: TestPostgres.logger).decode(String.self) { value = setting }
            return value
        }
        print("fleet load: \(Self.hostCount) hosts x \(Self.vmsPerHost) VMs, PostgreSQL fsync=\(fsync)")
        // The backfill (and each agent's connection, kept from then on) 50 hosts at a time: a
        // thousand connections opened at once by one process on this machine's two cores time
        // out (10 s) in the client, which a fleet's agents, each on its own host, do not.
        let first = await Self.roundOfAll(replicators, concurrency: 50)
        print("fleet load: backfill of \(Self.backfillMinutes) minutes, 50 hosts at a time: \(first)")
        var steady: [Round] = []
        for round in 0..<Self.steadyRounds {
            let minute = Self.minute0 + Int64((Self.backfillMinutes + round) * 60)
            let next = Self.batch(vms: Self.vmsPerHost, from: minute, minutes: 1, seed: 1)
            for store in stores { try store.write(next) }
            let result = await Self.roundOfAll(replicators)
            print("fleet load: a minute written out on every host, then a round of all hosts: \(result)")
            steady.append(result)
        }
        #expect(steady.allSatisfy { $0.rows == Self.hostCount * (Self.vmsPerHost * 3 + 1) })
        for replicator in replicators { await replicator.close() }
        // The central database's size per bucket row, and so per host-month.
        try await TestPostgres.withConnection(to: url) { connection in
            let rows = try await connection.query(
                """
                SELECT pg_total_relation_size('cinergy_bucket'), pg_relation_size('cinergy_bucket'), count(*),
                       count(*) FILTER (WHERE resolution_seconds = 60), pg_database_size(current_database())
                FROM cinergy_bucket
                """,
                logger: TestPostgres.logger
            )
            for try await (total, heap, count, minutes, database) in rows.decode((Int64, Int64, Int64, Int64, Int64).self) {
                let perRow = Double(total) / Double(count)
                let hostMonthRows = Double(Self.vmsPerHost) * (30 * 24 * 60 + 30 * 24)
                print(
                    String(
                        format:
                            "fleet load: cinergy_bucket %lld rows (%lld minute), %.1f MB with indexes (%.1f MB heap): %.0f bytes/row; "
                            + "a host-month of %d VMs (%.0f rows, minutes kept) %.0f MB, hours only %.1f MB; database %.1f MB",
                        count, minutes, Double(total) / 1e6, Double(heap) / 1e6, perRow, Self.vmsPerHost, hostMonthRows, hostMonthRows * perRow / 1e6,
                        Double(Self.vmsPerHost * 720) * perRow / 1e6, Double(database) / 1e6
                    )
                )
            }
        }
    }

    @Test("the agent's CPU per replication round: one host of 30 and of 1,000 VMs")
    func agentCPU() async throws {
        try await withReplicators { replicators in
            for vms in [30, 1000] {
                let url = try await TestPostgres.freshDatabase()
                let ledger = try TestLedger()
                try ledger.store.write(Self.batch(vms: vms, from: Self.minute0, minutes: 60, seed: 1))
                let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "cpu-\(vms)")
                #expect(await replicator.replicateOnce().state == .ok)
                let rounds = 10
                var minuteCPU = 0.0
                var minuteWall = 0.0
                var emptyCPU = 0.0
                let clock = ContinuousClock()
                for round in 0..<rounds {
                    // A flush that writes out a minute, then the round that sends it.
                    try ledger.store.write(Self.batch(vms: vms, from: Self.minute0 + Int64((60 + round) * 60), minutes: 1, seed: 1))
                    let cpu = Self.processCPUSeconds()
                    let start = clock.now
                    #expect(await replicator.replicateOnce().state == .ok)
                    minuteWall += (clock.now - start) / .seconds(1)
                    minuteCPU += Self.processCPUSeconds() - cpu
                    // A round with nothing new (the flushes while a minute is held).
                    let idle = Self.processCPUSeconds()
                    #expect(await replicator.replicateOnce().state == .ok)
                    emptyCPU += Self.processCPUSeconds() - idle
                }
                print(
                    String(
                        format:
                            "fleet agent CPU: %d VMs, a round sending a minute (%d rows): %.2f ms CPU (%.1f µs per VM), %.2f ms wall; "
                            + "a round with nothing to send: %.2f ms CPU (mean of %d)",
                        vms, vms * 3 + 1, minuteCPU / Double(rounds) * 1000, minuteCPU / Double(rounds * vms) * 1e6,
                        minuteWall / Double(rounds) * 1000, emptyCPU / Double(rounds) * 1000, rounds
                    )
                )
            }
        }
    }
}
