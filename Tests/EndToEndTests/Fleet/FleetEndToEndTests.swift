import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// Several real agents, each its own host (state directory, `FLEET_HOST_IDENTITY`, and a view of
/// the machine's processes: ``ProcView``), replicating to the throw-away PostgreSQL `make test`
/// starts (scripts/postgres), with stand-in VMs; the fleet's report by the real `cinergy report
/// --database`. A recorded skip without that PostgreSQL.
@Suite(
    "End to end: a fleet of agents replicating to PostgreSQL", .serialized,
    .enabled(if: FleetFixture.isAvailable, "needs CINERGY_TEST_POSTGRES_URL and _PASSWORD_FILE: `make test` starts a PostgreSQL (scripts/postgres)")
)
struct FleetEndToEndTests {
    @Test(
        "two hosts: a VM stopped on one and started on the other is one row, the sum of its hosts; an agent SIGKILLed while replicating loses nothing and sends nothing twice; a stopping agent sends all it counted"
    )
    func twoHosts() async throws {
        let directory = try TemporaryDirectory()
        let executable = try StandIn.build(in: directory.path)
        let hosts = ["\(EndToEnd.prefix)-fleet-a", "\(EndToEnd.prefix)-fleet-b"]
        let views = try hosts.indices.map { try ProcView(directory.path + "/proc-\($0)") }
        let states = hosts.indices.map { directory.path + "/state-\($0)" }
        let started = Date()
        var run = 0
        func agent(_ host: Int) throws -> AgentUnderTest {
            run += 1
            return try AgentUnderTest(
                env: LedgerFixture.env(
                    stateDirectory: states[host], flushSeconds: 1,
                    extra: [
                        "PROC_ROOT": views[host].path, "FLEET_DATABASE_URL": try FleetFixture.url,
                        "FLEET_DATABASE_PASSWORD_FILE": try FleetFixture.passwordFile, "FLEET_HOST_IDENTITY": hosts[host],
                        // Minutes written out (and so sent) once each is over, not per block of
                        // five: the check while running waits for the last one.
                        "LEDGER_WRITE_OUT_MINUTES": "1",
                    ]
                ),
                directory: try LedgerFixture.run(run, in: directory)
            )
        }
        let mover = "\(EndToEnd.prefix)-fleet-mover"
        let stays = ["\(EndToEnd.prefix)-fleet-stay-a", "\(EndToEnd.prefix)-fleet-stay-b"]
        let moverUUID = LedgerFixture.uuid(1)
        var moverOnA: ChildProcess? = try LedgerFixture.standIn(mover, uuid: moverUUID, executable: executable)
        try views[0].add(moverOnA!.pid)
        var stayProcesses: [ChildProcess] = []
        for host in hosts.indices {
            let process = try LedgerFixture.standIn(stays[host], uuid: LedgerFixture.uuid(2 + host), executable: executable)
            try views[host].add(process.pid)
            stayProcesses.append(process)
        }
        var agents = try hosts.indices.map { try agent($0) }
        try await agents[0].waitFor("the mover with energy on host A", seconds: 180) { (await LedgerFixture.energy(agents[0], mover) ?? 0) > 100 }
        try await agents[1].waitFor("host B's VM with energy", seconds: 180) { (await LedgerFixture.energy(agents[1], stays[1]) ?? 0) > 100 }
        #expect(await LedgerFixture.energy(agents[1], mover) == nil, "host B must not see host A's VMs")

        // Host A's agent SIGKILLed while it replicates (a round every second), three times at a
        // random moment after a round went through, and restarted each time.
        for _ in 0..<3 {
            let sent = await FleetFixture.fleet(agents[0])["rows_sent"] as? Int ?? 0
            try await agents[0].waitFor("host A replicating", seconds: 180) {
                (await FleetFixture.fleet(agents[0])["rows_sent"] as? Int ?? 0) > sent
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<1000)))
            agents[0].child.signal(SIGKILL)
            #expect(await agents[0].child.waitForExit(seconds: 20) == 128 + SIGKILL)
            agents[0] = try agent(0)
        }
        agents[0].child.signal(SIGKILL)
        #expect(await agents[0].child.waitForExit(seconds: 20) == 128 + SIGKILL)

        // The mover stops on A and starts on B with the same UUID (a cold migration).
        moverOnA?.signal(SIGTERM)
        _ = await moverOnA?.waitForExit(seconds: 20)
        try views[0].remove(moverOnA!.pid)
        moverOnA = nil
        let moverOnB = try LedgerFixture.standIn(mover, uuid: moverUUID, executable: executable)
        try views[1].add(moverOnB.pid)
        agents[0] = try agent(0)
        try await agents[1].waitFor("the mover with energy on host B", seconds: 180) { (await LedgerFixture.energy(agents[1], mover) ?? 0) > 100 }
        try await agents[0].waitFor("host A replicating again", seconds: 180) { await FleetFixture.fleet(agents[0])["state"] as? String == "ok" }

        // While everything runs: over a period that has ended, the fleet's report converges on the
        // sum of the hosts' live `GET /report` (the minute running at its end is held by each
        // ledger and reaches the central rows once written out, up to about 70 s later with
        // LEDGER_WRITE_OUT_MINUTES=1, then a round: docs/FLEET.md).
        let end = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.up) * 60)
        let liveFrom = ISO8601DateFormatter.fractional.string(from: started.addingTimeInterval(-60))
        let liveTo = ISO8601DateFormatter.fractional.string(from: end)
        let names = [mover] + stays
        var last = ""
        let deadline = Date().addingTimeInterval(300)
        while true {
            var hostRows: [[String: Any]] = []
            var plans: [String] = []
            func plan(_ document: [String: Any]?) -> String {
                "\(document?["from"] ?? "?")…\(document?["to"] ?? "?") (\(document?["resolution_seconds"] ?? "?") s)"
            }
            for agent in agents {
                let (status, json) = try await agent.get("/report?from=\(liveFrom)&to=\(liveTo)")
                #expect(status == 200)
                hostRows += (json as? [String: Any])?["rows"] as? [[String: Any]] ?? []
                plans.append(plan(json as? [String: Any]))
            }
            let fleet = try await FleetFixture.report(
                ["--database", try FleetFixture.url, "--database-password-file", try FleetFixture.passwordFile, "--host", hosts[0], "--host",
                 hosts[1], "--from", liveFrom, "--to", liveTo]
            )
            let fleetRows = fleet["rows"] as? [[String: Any]] ?? []
            let pairs = names.map { name in
                (
                    FleetFixture.joules(fleetRows, name), FleetFixture.joules(hostRows, name).reduce(0, +),
                    FleetFixture.joules(hostRows, name).count
                )
            }
            last = "\(names): fleet \(pairs.map(\.0)) J, sum of the hosts' /report \(pairs.map(\.1)) J; periods: fleet \(plan(fleet)), hosts \(plans)"
            let agree = pairs.allSatisfy { fleet, sum, _ in fleet.count == 1 && sum > 0 && abs(fleet[0] - sum) <= 1e-6 * sum }
            if Date() > end && agree {
                #expect(pairs[0].2 == 2, "the mover has a row in each host's /report")
                print("fleet report while running, to \(liveTo): \(last)")
                break
            }
            guard Date() < deadline else {
                var states: [String] = []
                for agent in agents { states.append("\(await FleetFixture.fleet(agent))") }
                Issue.record("the fleet's report did not reach the sum of the hosts' /report within 300 s: \(last); replication: \(states)")
                break
            }
            try await Task.sleep(for: .seconds(2))
        }

        // Everything stops: the stand-ins, then the agents. A stopping agent writes all it counted
        // (the held minute included) in its final flush, then sends it in a last replication round
        // (at most about 5 s): the central rows equal the local ones without a restart.
        for process in stayProcesses + [moverOnB] {
            process.signal(SIGTERM)
            _ = await process.waitForExit(seconds: 20)
            try views.forEach { try $0.remove(process.pid) }
        }
        for agent in agents {
            let stopping = Date()
            agent.child.signal(SIGTERM)
            #expect(await agent.child.waitForExit(seconds: 60) == 0)
            print("fleet: an agent stopped in \(Date().timeIntervalSince(stopping)) s")
            #expect(agent.log.contains("fleet: final round at shutdown sent"), "the agent's log tells of its final round")
        }
        // Central rows = local rows, host by host: nothing lost, nothing twice.
        for host in hosts.indices {
            let local = try FleetFixture.localBuckets(states[host] + "/ledger.sqlite")
            let central = try await FleetFixture.centralBuckets(hosts[host])
            #expect(local.count > 0)
            print("fleet: \(hosts[host]): \(local.count) bucket rows local, \(central.count) central")
            #expect(central.count == local.count, "\(hosts[host]): \(central.count) central bucket rows, \(local.count) local")
            let differing = local.filter { central[$0.key] != $0.value }.map(\.key).sorted()
            #expect(differing.isEmpty, "\(hosts[host]): \(differing.count) bucket rows differ, such as \(differing.prefix(3))")
            let localVMs = try FleetFixture.localVMs(states[host] + "/ledger.sqlite")
            let centralVMs = try await FleetFixture.centralVMs(hosts[host])
            #expect(localVMs.count > 0)
            #expect(centralVMs == localVMs, "\(hosts[host]): the VMs' totals differ: \(centralVMs) central, \(localVMs) local")
        }

        // The fleet's report = the sum of the hosts' reports (`cinergy report` on each state
        // directory prints GET /report's document: ReportCommandEndToEndTests).
        let from = ISO8601DateFormatter.fractional.string(from: started.addingTimeInterval(-60))
        let to = ISO8601DateFormatter.fractional.string(from: Date().addingTimeInterval(60))
        var local: [[String: Any]] = []
        for state in states {
            local.append(try await FleetFixture.report(["--state-directory", state, "--from", from, "--to", to]))
        }
        let fleet = try await FleetFixture.report(
            ["--database", try FleetFixture.url, "--database-password-file", try FleetFixture.passwordFile, "--host", hosts[0], "--host", hosts[1],
             "--from", from, "--to", to]
        )
        #expect(fleet["requested_from"] as? String == local[0]["requested_from"] as? String)
        #expect(fleet["from"] as? String == local[0]["from"] as? String)
        let fleetRows = fleet["rows"] as? [[String: Any]] ?? []
        let localRows = local.flatMap { $0["rows"] as? [[String: Any]] ?? [] }
        let joules = FleetFixture.joules
        #expect(joules(fleetRows, mover).count == 1, "the mover is one row of the fleet's report")
        #expect(joules(localRows, mover).count == 2, "the mover has a row on each host")
        let moverSum = joules(localRows, mover).reduce(0, +)
        let moverFleet = joules(fleetRows, mover).first ?? 0
        print("fleet report: the mover \(moverFleet) J across both hosts (\(joules(localRows, mover)) J on A and B)")
        #expect(moverSum > 200)
        #expect(abs(moverFleet - moverSum) <= 1e-6 * moverSum)
        for name in stays {
            #expect(joules(fleetRows, name).count == 1)
            let alone = joules(localRows, name).reduce(0, +)
            #expect(alone > 100)
            #expect(abs((joules(fleetRows, name).first ?? 0) - alone) <= 1e-6 * alone, "\(name)")
        }
        let fleetTotal = (fleet["total"] as? [String: Any])?["energy_joules"] as? Double ?? -1
        let localTotal = local.compactMap { ($0["total"] as? [String: Any])?["energy_joules"] as? Double }.reduce(0, +)
        #expect(abs(fleetTotal - localTotal) <= 1e-6 * max(1, localTotal), "fleet \(fleetTotal) J, hosts \(localTotal) J")
        #expect((fleet["model_versions"] as? [[String: Any]])?.count == 1)
        _ = stayProcesses
    }

    @Test("a database that accepts connections and never answers: the agent serves, and SIGTERM still stops it within the final round's bound, its ledger written")
    func hungDatabase() async throws {
        let directory = try TemporaryDirectory()
        let executable = try StandIn.build(in: directory.path)
        let view = try ProcView(directory.path + "/proc")
        let state = directory.path + "/state"
        // A loopback socket that listens and never accepts: connections wait in its backlog.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length) == 0 && getsockname(silent, $0, &length) == 0 }
        }
        #expect(bound && listen(silent, 16) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        var url = URLComponents(string: try FleetFixture.url)!
        url.port = port
        let vm = "\(EndToEnd.prefix)-fleet-hung"
        let uuid = LedgerFixture.uuid(9)
        let process = try LedgerFixture.standIn(vm, uuid: uuid, executable: executable)
        defer {
            process.signal(SIGKILL)
            _ = try? view.remove(process.pid)
        }
        try view.add(process.pid)
        let agent = try AgentUnderTest(
            env: LedgerFixture.env(
                stateDirectory: state, flushSeconds: 1,
                extra: [
                    "PROC_ROOT": view.path, "FLEET_DATABASE_URL": url.string!, "FLEET_DATABASE_PASSWORD_FILE": try FleetFixture.passwordFile,
                    "FLEET_HOST_IDENTITY": "\(EndToEnd.prefix)-fleet-hung-host",
                ]
            ),
            directory: try LedgerFixture.run(1, in: directory)
        )
        // The agent serves and counts while its rounds wait on the database.
        try await agent.waitFor("the VM with energy", seconds: 180) { (await LedgerFixture.energy(agent, vm) ?? 0) > 100 }
        var pending = pollfd(fd: silent, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pending, 1, 0) == 1, "the agent's round has connected and waits")
        let replication = await FleetFixture.fleet(agent)
        #expect(["connecting", "unreachable"].contains(replication["state"] as? String ?? ""), "\(replication)")
        let stopping = Date()
        agent.child.signal(SIGTERM)
        let status = await agent.child.waitForExit(seconds: 60)
        let seconds = Date().timeIntervalSince(stopping)
        print("fleet: an agent whose database never answers stopped in \(seconds) s")
        #expect(status == 0)
        // The final round's bound is 5 s (and 6 s for a round that cannot be reached); the rest
        // is the slack of a loaded machine.
        #expect(seconds >= 4.9 && seconds < 20, "\(seconds) s")
        // The round's own timer ends it (the connection's timeout is set past it); on a loaded
        // machine the connection's may still fire first, and the log then says so instead.
        #expect(
            agent.log.contains("fleet: a replication round took more than 5.0 s; what is not sent goes at the next start")
                || agent.log.contains("fleet: the fleet database cannot be reached: Connect timeout"),
            "\(agent.log.suffix(2000))"
        )
        // Its final flush was written before the round: the VM's rows are in the ledger.
        let local = try FleetFixture.localVMs(state + "/ledger.sqlite")
        #expect((local[uuid]?.first ?? 0) > 100, "\(local)")
    }
}
