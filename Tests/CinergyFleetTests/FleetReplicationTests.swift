import CinergyCore
import CinergyLedger
import Foundation
import PostgresNIO
import Testing

@testable import CinergyFleet

/// Replication of real SQLite ledgers to the real PostgreSQL `make test` starts (scripts/postgres).
/// Serialized: one of them stops the server for a while.
@Suite(
    "Fleet replication to PostgreSQL", .serialized,
    .enabled(if: TestPostgres.isAvailable, "needs CINERGY_TEST_POSTGRES_URL and _PASSWORD_FILE: `make test` starts a PostgreSQL (scripts/postgres)")
)
struct FleetReplicationTests {
    static let minute0: Int64 = 1_764_547_200  // 2025-12-01T00:00:00Z

    @Test("a real ledger replicated: the central rows equal the local ones, nothing pending")
    func replicatesALedger() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 5, startMinute: Self.minute0, minutes: 90)
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a", batchRows: 50)
            let status = await replicator.replicateOnce()
            #expect(status.state == .ok, "\(status)")
            #expect(status.pendingRows == 0)
            #expect(status.lagSeconds == 0)
            #expect(status.schemaVersion == FleetSchema.currentVersion)
            let local = try Snapshot.local(ledger)
            // 5 VMs × 90 minutes, 2 model versions: 450 minute rows, 5 × (2 hours × 2 versions) hour rows.
            #expect(local.vms.count == 5)
            #expect(local.buckets.count == 450 + 20)
            #expect(local.modelVersions.count == 2)
            let central = try await Snapshot.central(url, host: "hv-a")
            #expect(central == local)
            #expect(status.rowsSent == 5 + 2 + 470)
            // Another host's rows are its own.
            #expect(try await Snapshot.central(url, host: "hv-b") == Snapshot())
        }
    }

    @Test("idempotent: a bucket still filling is sent again as it grows, and a resend from the start changes nothing")
    func idempotence() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 3, startMinute: Self.minute0, minutes: 3)
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a")
            #expect(await replicator.replicateOnce().state == .ok)
            // The same minutes grow (the store adds to them), and a new one starts.
            try ledger.flush(vmCount: 3, startMinute: Self.minute0 + 120, minutes: 2, seed: 0.5)
            let growing = await replicator.replicateOnce()
            #expect(growing.state == .ok)
            // Only what changed went: 3 VMs, 1 model version row per version used, 6 minutes, 3 hours × versions.
            let local = try Snapshot.local(ledger)
            #expect(try await Snapshot.central(url, host: "hv-a") == local)
            // Everything again from sequence 0 (as after a lost watermark): the same rows.
            let reader = try LedgerChangeReader(path: ledger.path)
            try reader.setReplicated(sequence: 0, target: replicator.configuration.target, atUnixSeconds: 0)
            let again = await replicator.replicateOnce()
            #expect(again.state == .ok)
            #expect(try await Snapshot.central(url, host: "hv-a") == local)
            let rowCount = try await TestPostgres.withConnection(to: url) { connection in
                var count = 0
                for try await value in try await connection.query("SELECT count(*) FROM cinergy_bucket", logger: TestPostgres.logger)
                    .decode(Int.self)
                { count = value }
                return count
            }
            #expect(rowCount == local.buckets.count)
        }
    }

    @Test("killed mid-round: the watermark stays, the next round completes it, central equals local")
    func interruptedRound() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 4, startMinute: Self.minute0, minutes: 20)
            let before = try LedgerChangeReader(path: ledger.path).state()
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a", batchRows: 7)
            replicator.interrupt(afterPages: 3)
            let interrupted = await replicator.replicateOnce()
            #expect(interrupted.state == .failing)
            #expect(interrupted.rowsSent == 2 + 4 + 7)  // pages of the model versions, the VMs, the first buckets
            let after = try LedgerChangeReader(path: ledger.path).state()
            #expect(after.watermark(for: replicator.configuration.target) == before.replicatedSequence)
            #expect((interrupted.pendingRows ?? 0) > 0)
            let partial = try await Snapshot.central(url, host: "hv-a")
            #expect(partial != (try Snapshot.local(ledger)))
            // The ledger goes on writing meanwhile; a new agent (a new replicator) takes over.
            try ledger.flush(vmCount: 5, startMinute: Self.minute0 + 1200, minutes: 5, seed: 2)
            let next = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a", batchRows: 7)
            let status = await next.replicateOnce()
            #expect(status.state == .ok, "\(status)")
            #expect(try await Snapshot.central(url, host: "hv-a") == (try Snapshot.local(ledger)))
        }
    }

    @Test("PostgreSQL stopped, then started again: a state with what is pending, then nothing missing, nothing twice")
    func outage() async throws {
        try await withReplicators { replicators in
            try #require(TestPostgres.directory != nil, "CINERGY_TEST_POSTGRES_DIR names the cluster to stop")
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 3, startMinute: Self.minute0, minutes: 10)
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a")
            #expect(await replicator.replicateOnce().state == .ok)
            try TestPostgres.control("stop")
            do {
                try ledger.flush(vmCount: 4, startMinute: Self.minute0 + 300, minutes: 10, seed: 3)
                let down = await replicator.replicateOnce()
                #expect(down.state == .unreachable, "\(down)")
                #expect(down.detail?.contains("cannot be reached") == true)
                #expect((down.pendingRows ?? 0) > 0)
                #expect(down.lagSeconds != nil)
                try ledger.flush(vmCount: 4, startMinute: Self.minute0 + 600, minutes: 10, seed: 4)
                #expect(await replicator.replicateOnce().state == .unreachable)
            } catch {
                try? TestPostgres.control("restart")
                throw error
            }
            try TestPostgres.control("restart")
            let up = await replicator.replicateOnce()
            #expect(up.state == .ok, "\(up)")
            #expect(up.pendingRows == 0)
            #expect(try await Snapshot.central(url, host: "hv-a") == (try Snapshot.local(ledger)))
        }
    }

    @Test("a closed port at start-up: unreachable, with the ledger's rows pending; the real server then takes them all")
    func unreachableAtStart() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 2, startMinute: Self.minute0, minutes: 5)
            var closed = url
            closed.port = try Self.closedPort()
            let nowhere = replicators.make(ledger, url: closed, password: try TestPostgres.password, host: "hv-a")
            let status = await nowhere.replicateOnce()
            #expect(status.state == .unreachable, "\(status)")
            #expect(status.pendingRows == 2 + 2 + 10 + 4)
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a")
            #expect(await replicator.replicateOnce().state == .ok)
            #expect(try await Snapshot.central(url, host: "hv-a") == (try Snapshot.local(ledger)))
        }
    }

    @Test("the final round at shutdown sends what the last flush wrote, then closes the connection")
    func finalRound() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 3, startMinute: Self.minute0, minutes: 4)
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-a")
            #expect(await replicator.replicateOnce().state == .ok)
            // The agent's last flush (the held minute written out), then its final round.
            try ledger.flush(vmCount: 3, startMinute: Self.minute0 + 240, minutes: 1, seed: 0.5)
            let started = Date()
            let status = await replicator.finalRound()
            let seconds = Date().timeIntervalSince(started)
            #expect(status.state == .ok, "\(status)")
            #expect(status.pendingRows == 0)
            #expect(seconds < replicator.configuration.finalRoundTimeoutSeconds + 1, "\(seconds) s")
            #expect(try await Snapshot.central(url, host: "hv-a") == (try Snapshot.local(ledger)))
        }
    }

    @Test("a database that accepts the connection and never answers: the final round gives up within its bound, the rows left pending")
    func finalRoundBounded() async throws {
        let ledger = try TestLedger()
        try ledger.flush(vmCount: 2, startMinute: Self.minute0, minutes: 5)
        let silent = try Self.silentServer()
        defer { close(silent.socket) }
        var url = try TestPostgres.url
        url.port = silent.port
        let path = ledger.path
        let bound = 2.0
        let replicator = FleetReplicator(
            configuration: FleetConfiguration(
                url: url, password: try TestPostgres.password, hostIdentity: "hv-a", intervalSeconds: 1, finalRoundTimeoutSeconds: bound
            ),
            ledgerPath: { path }, logger: TestPostgres.logger
        )
        let started = Date()
        let status = await replicator.finalRound()
        let seconds = Date().timeIntervalSince(started)
        print("final round against a server that never answers: \(seconds) s, \(status.state): \(status.detail ?? "")")
        #expect(status.state == .unreachable, "\(status)")
        // Not before the round's own timeout (nothing can answer), and at most its hard bound
        // (the timeout + 1 s) plus generous slack for a loaded machine.
        #expect(seconds >= bound - 0.1, "\(seconds) s")
        #expect(seconds < bound + 1 + 3, "\(seconds) s")
        // The watermark did not move: everything is still pending for the next start.
        let reader = try LedgerChangeReader(path: ledger.path)
        let ledgerState = try reader.state()
        #expect(try reader.changedRowCount(after: ledgerState.watermark(for: replicator.configuration.target)) == 2 + 2 + 10 + 4)
    }

    @Test("a round stuck on a database that never answers ends soon after it is cancelled (the agent stopping)")
    func cancelledRound() async throws {
        let ledger = try TestLedger()
        try ledger.flush(vmCount: 2, startMinute: Self.minute0, minutes: 5)
        let silent = try Self.silentServer()
        defer { close(silent.socket) }
        var url = try TestPostgres.url
        url.port = silent.port
        let path = ledger.path
        let replicator = FleetReplicator(
            configuration: FleetConfiguration(url: url, password: try TestPostgres.password, hostIdentity: "hv-a", roundTimeoutSeconds: 120),
            ledgerPath: { path }, logger: TestPostgres.logger
        )
        let round = Task { await replicator.replicateOnce() }
        // Wait until the round has connected (a connection waits in the silent server's
        // backlog: its socket polls readable), then cancel it.
        let deadline = Date().addingTimeInterval(60)
        var pending = pollfd(fd: silent.socket, events: Int16(POLLIN), revents: 0)
        while poll(&pending, 1, 0) == 0 {
            guard Date() < deadline else { throw FixtureError("the round never connected") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let cancelled = Date()
        round.cancel()
        let status = await round.value
        let seconds = Date().timeIntervalSince(cancelled)
        print("a round against a server that never answers, cancelled: ended \(seconds) s later, \(status.state)")
        #expect(seconds < 5, "\(seconds) s")
        #expect(status.state == .connecting, "a cancelled round leaves the status as it was: \(status)")
    }

    @Test("a wrong password is a state of its own, the password never in it")
    func wrongPassword() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 1, startMinute: Self.minute0, minutes: 1)
            let replicator = replicators.make(ledger, url: url, password: FleetPassword("not-the-password-1234"), host: "hv-a")
            let status = await replicator.replicateOnce()
            #expect(status.state == .authFailed, "\(status)")
            #expect(status.detail?.contains("28P01") == true)
            #expect(status.detail?.contains("not-the-password") == false)
            #expect(status.pendingRows == 1 + 1 + 1 + 1)
        }
    }

    @Test("a central schema newer than the agent's: replication stops and says why, writing nothing")
    func newerSchema() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 2, startMinute: Self.minute0, minutes: 2)
            // A newer agent migrated the database first.
            let first = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-new")
            #expect(await first.replicateOnce().state == .ok)
            try await TestPostgres.withConnection(to: url) { connection in
                try await connection.query(
                    "INSERT INTO cinergy_schema_version (version, applied_by) VALUES (\(FleetSchema.currentVersion + 1), 'a newer agent')",
                    logger: TestPostgres.logger
                )
            }
            try ledger.flush(vmCount: 2, startMinute: Self.minute0 + 60, minutes: 2)
            let old = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-old")
            let status = await old.replicateOnce()
            #expect(status.state == .schemaNewer, "\(status)")
            #expect(status.schemaVersion == FleetSchema.currentVersion + 1)
            #expect(status.detail?.contains("newer than this agent's \(FleetSchema.currentVersion)") == true)
            #expect(try await Snapshot.central(url, host: "hv-old") == Snapshot())
            // Stays stopped at the next round.
            #expect(await old.replicateOnce().state == .schemaNewer)
        }
    }

    @Test("a central schema of version 1 (before the attributed seconds) is migrated: its rows cover their running seconds, then replication fills the rest")
    func migratesVersionOne() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            // What an agent of version 1 left: its tables and views, one VM with attributed joules.
            try await TestPostgres.withConnection(to: url) { connection in
                let logger = TestPostgres.logger
                try await connection.query(
                    "CREATE TABLE cinergy_schema_version (version INTEGER PRIMARY KEY, applied_by TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: logger
                )
                for statement in FleetSchema.migrations[0] { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO cinergy_schema_version (version, applied_by) VALUES (1, 'an older agent')", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO cinergy_bucket (host, resolution_seconds, start, vm_key, model_version, energy_joules, carbon_grams,
                                                running_seconds, reconstructed_joules, attributed_joules)
                    VALUES ('hv-old', 60, 0, 'u-x', 'd', 60, 0.1, 45, 0, 80), ('hv-old', 60, 60, 'u-x', 'd', 60, 0.1, 60, 0, NULL)
                    """,
                    logger: logger
                )
            }
            let ledger = try TestLedger()
            try ledger.flush(vmCount: 3, startMinute: Self.minute0, minutes: 2)
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "hv-new")
            let status = await replicator.replicateOnce()
            #expect(status.state == .ok && status.schemaVersion == 2, "\(status)")
            #expect(try await Snapshot.central(url, host: "hv-new") == (try Snapshot.local(ledger)))
            try await TestPostgres.withConnection(to: url) { connection in
                let rows = try await connection.query(
                    "SELECT start, attributed_seconds FROM cinergy_bucket WHERE host = 'hv-old' ORDER BY start", logger: TestPostgres.logger
                )
                var seconds: [Double?] = []
                for try await (_, value) in rows.decode((Int64, Double?).self) { seconds.append(value) }
                #expect(seconds == [45, nil])
                let view = try await connection.query(
                    "SELECT count(*) FROM information_schema.columns WHERE table_name = 'cinergy_vm_month' AND column_name = 'attributed_seconds'",
                    logger: TestPostgres.logger
                )
                for try await count in view.decode(Int.self) { #expect(count == 1) }
            }
        }
    }

    @Test("two hosts and a VM that moved: the monthly view merges it by UUID, the project view by project")
    func views() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let a = try TestLedger()
            let b = try TestLedger()
            try a.flush(vmCount: 2, startMinute: Self.minute0, minutes: 60)
            try b.flush(vmCount: 3, startMinute: Self.minute0 + 3600, minutes: 60)
            for (ledger, host) in [(a, "hv-a"), (b, "hv-b")] {
                #expect(await replicators.make(ledger, url: url, password: try TestPostgres.password, host: host).replicateOnce().state == .ok)
            }
            let local = try [Snapshot.local(a), Snapshot.local(b)]
            func sum(_ key: String) -> Double {
                local.reduce(0) { total, snapshot in total + (snapshot.vms[key].flatMap { Double($0[3]) } ?? 0) }
            }
            let rows = try await TestPostgres.withConnection(to: url) { connection in
                var rows: [String: (hosts: Int, joules: Double)] = [:]
                for try await (vm, hosts, joules) in try await connection.query(
                    "SELECT vm, host_count, energy_joules FROM cinergy_vm_month", logger: TestPostgres.logger
                ).decode((String, Int, Double).self) {
                    rows[vm] = (hosts, joules)
                }
                return rows
            }
            // vm-0 and vm-1 ran on both hosts (same UUIDs): one row each, two hosts, the sum of both.
            let vm0 = TestLedger.identity(0).ledgerKey
            #expect(rows[vm0]?.hosts == 2)
            #expect(abs((rows[vm0]?.joules ?? 0) - sum(vm0)) < 1e-6)
            #expect(rows[TestLedger.identity(2).ledgerKey]?.hosts == 1)
            #expect(rows.count == 3)
        }
    }

    /// A loopback socket that listens and never accepts: the kernel completes the TCP handshake,
    /// and nothing ever answers (a database hung). Close `socket` when done.
    static func silentServer() throws -> (socket: Int32, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound, listen(socket, 16) == 0 else {
            close(socket)
            throw FixtureError("no listening socket")
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A loopback port nothing listens on (bound, then closed).
    static func closedPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw FixtureError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
