import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The database's faults with whole agents: PostgreSQL stopped for a while and started again, a
/// wrong password, a database unreachable at start-up. Each agent runs one busy stand-in VM (its
/// own ``ProcView``), flushes its ledger every second, and keeps serving and counting through the
/// fault; once the fault is gone, the central rows equal the local ledger's (read with Python's
/// sqlite3 after the agent stopped, and with psql). The tests that stop the database run a
/// PostgreSQL of their own (``PrivatePostgres``), never the cluster other suites share.
extension FleetEndToEndTests {
    @Test(
        "PostgreSQL stopped for a while and started again: the agent serves and counts, /health and /metrics show the failure, and afterwards the central rows equal the local ones"
    )
    func databaseStoppedAndStarted() async throws {
        let cluster = try await PrivatePostgres.start()
        defer { cluster.destroy() }
        let host = try FaultHost(label: "outage")
        let setup = try host.start(database: cluster.url, passwordFile: cluster.passwordFile)
        let agent = setup.agent
        defer { setup.standIn.signal(SIGKILL) }
        try await agent.waitFor("the VM with energy", seconds: 180) { (await LedgerFixture.energy(agent, host.vm) ?? 0) > 100 }
        try await agent.waitFor("a round that sent rows", seconds: 180) {
            let fleet = await FleetFixture.fleet(agent)
            return fleet["state"] as? String == "ok" && (fleet["rows_sent"] as? Int ?? 0) > 0
        }

        // The database stops (fast shutdown: the agent's connection is closed under it).
        try await cluster.stop()
        let stopped = Date()
        try await agent.waitFor("the state unreachable", seconds: 180) { await FleetFixture.fleet(agent)["state"] as? String == "unreachable" }
        let before = try #require(await LedgerFixture.energy(agent, host.vm))
        let beforeAt = Date()
        // For a while: until a whole minute after the stop is over and written out (the ledger
        // holds the minute running until then), its buckets waiting for the database.
        try await host.waitForLocalMinute(agent, from: stopped.addingTimeInterval(60))
        try await host.waitForPendingRows(agent)
        let fleet = await FleetFixture.fleet(agent)
        #expect(fleet["state"] as? String == "unreachable", "\(fleet)")
        #expect((fleet["detail"] as? String ?? "").hasPrefix("the fleet database cannot be reached"), "\(fleet)")
        let lag = fleet["lag_seconds"] as? Double ?? -1
        #expect(lag > 0 && lag < Date().timeIntervalSince(host.started) + 5, "lag \(lag) s: since the last round before the outage")
        try await expectMetricsShowFailure(agent, pending: true)
        // It counted all along: at least the VM's static share, at most a whole core, over the time.
        let after = try #require(await LedgerFixture.energy(agent, host.vm))
        try expectCounted(from: before, to: after, seconds: Date().timeIntervalSince(beforeAt))
        #expect(await LedgerFixture.ledger(agent)["state"] as? String == "ok", "the ledger goes on writing")

        try await cluster.restart()
        let restarted = Date()
        print("fleet: the database was down \(restarted.timeIntervalSince(stopped)) s")
        // Rounds back off up to 60 s after failures: the next one comes within a minute.
        try await agent.waitFor("replicating again", seconds: 240) {
            let fleet = await FleetFixture.fleet(agent)
            guard fleet["state"] as? String == "ok", let at = fleet["last_replicated_at"] as? String,
                let date = ISO8601DateFormatter.fractional.date(from: at) ?? ISO8601DateFormatter().date(from: at)
            else { return false }
            return date > restarted.addingTimeInterval(-1)
        }
        print("fleet: replicating again \(Date().timeIntervalSince(restarted)) s after the database restarted")
        #expect(agent.log.contains("fleet: the fleet database cannot be reached"), "the failure is logged")
        #expect(agent.log.contains("fleet: replicating again"), "the recovery is logged")
        try await expectMetricsUp(agent)
        // While the agent runs, every minute its ledger wrote (the outage's included) is central.
        try await host.waitForLocalMinutesCentral(agent, in: cluster)

        try await host.stop(setup)
        try await host.expectCentralEqualsLocal(in: cluster)
    }

    @Test(
        "a wrong password: the agent serves and counts, its state is the login refused, the password nowhere; restarted with the right one, it sends everything"
    )
    func wrongPassword() async throws {
        let host = try FaultHost(label: "password")
        let wrong = "cinergy-wrong-\(UUID().uuidString.prefix(12))"
        let wrongFile = host.directory.path + "/wrong-password"
        try wrong.write(toFile: wrongFile, atomically: true, encoding: .utf8)
        let right = try String(contentsOfFile: try FleetFixture.passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // The agent's most talkative log level: the password must not be in it either.
        let setup = try host.start(database: try FleetFixture.url, passwordFile: wrongFile, logLevel: "debug")
        let agent = setup.agent
        defer { setup.standIn.signal(SIGKILL) }
        try await agent.waitFor("the VM with energy", seconds: 180) { (await LedgerFixture.energy(agent, host.vm) ?? 0) > 100 }
        try await agent.waitFor("the state auth_failed", seconds: 180) { await FleetFixture.fleet(agent)["state"] as? String == "auth_failed" }
        let before = try #require(await LedgerFixture.energy(agent, host.vm))
        let beforeAt = Date()
        // A minute is over and written out while the login is refused: its buckets wait.
        try await host.waitForLocalMinute(agent, from: host.started)
        try await host.waitForPendingRows(agent)
        let fleet = await FleetFixture.fleet(agent)
        #expect(fleet["state"] as? String == "auth_failed", "\(fleet)")
        #expect((fleet["detail"] as? String ?? "").hasPrefix("the fleet database refused the login"), "\(fleet)")
        #expect(fleet["rows_sent"] as? Int == 0 && fleet["last_replicated_at"] is NSNull, "\(fleet)")
        try await expectMetricsShowFailure(agent, pending: true)
        let after = try #require(await LedgerFixture.energy(agent, host.vm))
        try expectCounted(from: before, to: after, seconds: Date().timeIntervalSince(beforeAt))
        // The password, wrong or right, nowhere the agent speaks.
        let (_, health) = try await agent.getText("/health")
        let (_, metrics) = try await agent.getText("/metrics")
        for (place, text) in [("/health", health), ("/metrics", metrics), ("the log", agent.log)] {
            #expect(!text.contains(wrong), "the wrong password is in \(place)")
            #expect(!text.contains(right), "the database's password is in \(place)")
        }
        #expect(agent.log.contains("fleet: the fleet database refused the login"), "the failure is logged")

        // Stopped (its final round refused too: the rows wait in the ledger), then restarted with
        // the right password file on the same state directory.
        agent.child.signal(SIGTERM)
        #expect(await agent.child.waitForExit(seconds: 60) == 0)
        #expect(agent.log.contains("what is not sent goes at the next start"), "\(agent.log.suffix(2000))")
        #expect(!agent.log.contains(wrong) && !agent.log.contains(right), "a password is in the log")
        let second = try host.restart(setup, database: try FleetFixture.url, passwordFile: try FleetFixture.passwordFile)
        try await second.agent.waitFor("replicating with the right password", seconds: 180) {
            let fleet = await FleetFixture.fleet(second.agent)
            return fleet["state"] as? String == "ok" && (fleet["rows_sent"] as? Int ?? 0) > 0
        }
        try await expectMetricsUp(second.agent)
        try await host.waitForLocalMinutesCentral(second.agent, in: nil)
        try await host.stop(second)
        #expect(!second.agent.log.contains(right), "the database's password is in the log")
        try await host.expectCentralEqualsLocal(in: nil)
    }

    @Test(
        "a database unreachable at start-up: the agent serves and counts, its state is unreachable; once the database is up, the rows arrive and equal the local ones"
    )
    func unreachableAtStart() async throws {
        // A cluster created, then stopped: its port is one nobody listens on until it starts again.
        let cluster = try await PrivatePostgres.start()
        defer { cluster.destroy() }
        try await cluster.stop()
        let host = try FaultHost(label: "unreachable")
        let setup = try host.start(database: cluster.url, passwordFile: cluster.passwordFile)
        let agent = setup.agent
        defer { setup.standIn.signal(SIGKILL) }
        try await agent.waitFor("the VM with energy", seconds: 180) { (await LedgerFixture.energy(agent, host.vm) ?? 0) > 100 }
        try await agent.waitFor("the state unreachable", seconds: 180) { await FleetFixture.fleet(agent)["state"] as? String == "unreachable" }
        let before = try #require(await LedgerFixture.energy(agent, host.vm))
        let beforeAt = Date()
        // A minute is over and written out while the database is unreachable: its buckets wait.
        try await host.waitForLocalMinute(agent, from: host.started)
        try await host.waitForPendingRows(agent)
        let fleet = await FleetFixture.fleet(agent)
        #expect(fleet["state"] as? String == "unreachable", "\(fleet)")
        #expect((fleet["detail"] as? String ?? "").hasPrefix("the fleet database cannot be reached"), "\(fleet)")
        #expect(fleet["rows_sent"] as? Int == 0 && fleet["last_replicated_at"] is NSNull && fleet["schema_version"] is NSNull, "\(fleet)")
        try await expectMetricsShowFailure(agent, pending: true)
        let after = try #require(await LedgerFixture.energy(agent, host.vm))
        try expectCounted(from: before, to: after, seconds: Date().timeIntervalSince(beforeAt))

        try await cluster.restart()
        let restarted = Date()
        try await agent.waitFor("replicating once the database is up", seconds: 240) {
            let fleet = await FleetFixture.fleet(agent)
            return fleet["state"] as? String == "ok" && (fleet["rows_sent"] as? Int ?? 0) > 0
        }
        print("fleet: replicating \(Date().timeIntervalSince(restarted)) s after the database came up")
        #expect(await FleetFixture.fleet(agent)["schema_version"] as? Int == 2, "the agent created the central schema (version 2)")
        #expect(agent.log.contains("fleet: replicating again"), "the recovery is logged")
        try await expectMetricsUp(agent)
        try await host.waitForLocalMinutesCentral(agent, in: cluster)

        try await host.stop(setup)
        try await host.expectCentralEqualsLocal(in: cluster)
    }

    // MARK: Helpers

    /// `/metrics` says replication is down, and (when `pending`) that rows wait.
    private func expectMetricsShowFailure(_ agent: AgentUnderTest, pending: Bool) async throws {
        let (status, text) = try await agent.getText("/metrics")
        #expect(status == 200)
        #expect(Self.metric(text, "cinergy_fleet_replication_up") == 0, "\(text.split(separator: "\n").filter { $0.contains("fleet") })")
        if pending { #expect((Self.metric(text, "cinergy_fleet_replication_pending_rows") ?? 0) > 0) }
    }

    /// `/metrics` says replication is up.
    private func expectMetricsUp(_ agent: AgentUnderTest) async throws {
        let (status, text) = try await agent.getText("/metrics")
        #expect(status == 200)
        #expect(Self.metric(text, "cinergy_fleet_replication_up") == 1)
        #expect((Self.metric(text, "cinergy_fleet_replication_rows_total") ?? 0) > 0)
        #expect((Self.metric(text, "cinergy_fleet_replication_last_success_timestamp_seconds") ?? 0) > Date().timeIntervalSince1970 - 300)
    }

    /// The value of the unlabelled sample `name` in a Prometheus text.
    static func metric(_ text: String, _ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// The busy stand-in's energy grew from `before` to `after` over about `seconds` (one second
    /// of sampling on each side): at least its static share (12.5 W under `EndToEnd.env`, whatever
    /// CPU the loaded machine gives it), at most a whole core's 57.5 W times the PUE of 1.3.
    private func expectCounted(from before: Double, to after: Double, seconds: Double) throws {
        let low = 12.5 * max(0, seconds - 3)
        let high = LedgerFixture.busyWatts * 1.3 * (seconds + 3)
        #expect(after - before >= low && after - before <= high, "counted \(after - before) J in \(seconds) s: expected \(low)…\(high) J")
    }
}
