import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// One agent as a host of its own for the fault tests: its directory, state directory, process
/// view, host identity and busy stand-in VM.
final class FaultHost {
    let directory: TemporaryDirectory
    let identity: String
    let vm: String
    let uuid = LedgerFixture.uuid(7)
    let view: ProcView
    let state: String
    let started = Date()
    private var runs = 0

    init(label: String) throws {
        directory = try TemporaryDirectory()
        identity = "\(EndToEnd.prefix)-fleet-\(label)"
        vm = "\(EndToEnd.prefix)-fleet-\(label)-vm"
        view = try ProcView(directory.path + "/proc")
        state = directory.path + "/state"
    }

    struct Setup {
        let agent: AgentUnderTest
        let standIn: ChildProcess
    }

    /// Starts the stand-in VM and an agent replicating to `database`.
    func start(database: String, passwordFile: String, logLevel: String = "info") throws -> Setup {
        let executable = try StandIn.build(in: directory.path)
        let standIn = try LedgerFixture.standIn(vm, uuid: uuid, executable: executable)
        try view.add(standIn.pid)
        return Setup(agent: try agent(database: database, passwordFile: passwordFile, logLevel: logLevel), standIn: standIn)
    }

    /// A new agent on the same state directory and VM (the previous one has stopped).
    func restart(_ setup: Setup, database: String, passwordFile: String) throws -> Setup {
        Setup(agent: try agent(database: database, passwordFile: passwordFile, logLevel: "debug"), standIn: setup.standIn)
    }

    private func agent(database: String, passwordFile: String, logLevel: String) throws -> AgentUnderTest {
        runs += 1
        return try AgentUnderTest(
            env: LedgerFixture.env(
                stateDirectory: state, flushSeconds: 1,
                extra: [
                    "PROC_ROOT": view.path, "FLEET_DATABASE_URL": database, "FLEET_DATABASE_PASSWORD_FILE": passwordFile,
                    "FLEET_HOST_IDENTITY": identity, "LOG_LEVEL": logLevel,
                    // Minutes written out (and so sent) once each is over, not per block of five:
                    // the test waits for one.
                    "LEDGER_WRITE_OUT_MINUTES": "1",
                ]
            ),
            directory: try LedgerFixture.run(runs, in: directory)
        )
    }

    /// Waits until the running agent's ledger holds a minute bucket of the minute running at
    /// `date` or a later one: that minute is over, written out after `date`.
    func waitForLocalMinute(_ agent: AgentUnderTest, from date: Date) async throws {
        let minute = Int((date.timeIntervalSince1970 / 60).rounded(.down)) * 60
        var found: [String] = []
        try await agent.waitFor("a minute from \(minute) written in the ledger", seconds: 180) {
            let local = (try? FleetFixture.localBuckets(self.state + "/ledger.sqlite")) ?? [:]
            found = local.keys.filter { key in
                let fields = key.split(separator: " ")
                return fields.count == 4 && fields[0] == "60" && (Int(fields[1]) ?? 0) >= minute
            }
            return !found.isEmpty
        }
        print("fleet: \(identity): a minute from \(minute) written out at \(Date().timeIntervalSince1970): \(found.count) bucket(s)")
    }

    /// Waits until `/health` says rows are pending, and checks the figure against the ledger's
    /// rows: at least one, at most every row it holds (VMs, model versions, buckets).
    func waitForPendingRows(_ agent: AgentUnderTest) async throws {
        try await agent.waitFor("rows pending", seconds: 180) {
            (await FleetFixture.fleet(agent)["pending_rows"] as? Int ?? 0) > 0
        }
        let pending = await FleetFixture.fleet(agent)["pending_rows"] as? Int ?? 0
        let rows = try FleetFixture.localRowCount(state + "/ledger.sqlite")
        #expect(pending >= 1 && pending <= rows, "\(pending) rows pending, the ledger holds \(rows)")
    }

    /// Waits until every minute bucket the running agent's ledger holds is in the central
    /// database with the same figures (minutes are written once over, and not changed after).
    func waitForLocalMinutesCentral(_ agent: AgentUnderTest, in cluster: PrivatePostgres?) async throws {
        var last = ""
        try await agent.waitFor("every local minute central", seconds: 180) {
            guard let local = try? FleetFixture.localBuckets(self.state + "/ledger.sqlite").filter({ $0.key.hasPrefix("60 ") }),
                let central = try? await FleetFixture.centralBuckets(self.identity, in: cluster)
            else { return false }
            let missing = local.filter { central[$0.key] != $0.value }
            last = "\(missing.count) of \(local.count) local minutes not central"
            return !local.isEmpty && missing.isEmpty
        }
        print("fleet: \(identity): while running, \(last)")
    }

    /// Stops the VM, then the agent (SIGTERM: its final flush, then its final round).
    func stop(_ setup: Setup) async throws {
        setup.standIn.signal(SIGTERM)
        _ = await setup.standIn.waitForExit(seconds: 20)
        try view.remove(setup.standIn.pid)
        setup.agent.child.signal(SIGTERM)
        #expect(await setup.agent.child.waitForExit(seconds: 60) == 0)
        #expect(setup.agent.log.contains("fleet: final round at shutdown sent"), "the agent's log tells of its final round")
    }

    /// Every local bucket and VM row equals its central row, and there are as many: nothing
    /// missing, nothing twice.
    func expectCentralEqualsLocal(in cluster: PrivatePostgres?) async throws {
        let local = try FleetFixture.localBuckets(state + "/ledger.sqlite")
        let central = try await FleetFixture.centralBuckets(identity, in: cluster)
        print("fleet: \(identity): \(local.count) bucket rows local, \(central.count) central")
        #expect(local.count > 0)
        #expect(central.count == local.count, "\(central.count) central bucket rows, \(local.count) local")
        let differing = local.filter { central[$0.key] != $0.value }.map(\.key).sorted()
        #expect(differing.isEmpty, "\(differing.count) bucket rows differ, such as \(differing.prefix(3))")
        let localVMs = try FleetFixture.localVMs(state + "/ledger.sqlite")
        let centralVMs = try await FleetFixture.centralVMs(identity, in: cluster)
        #expect(localVMs.count == 1 && (localVMs[uuid]?.first ?? 0) > 100, "\(localVMs)")
        #expect(centralVMs == localVMs, "the VM's totals differ: \(centralVMs) central, \(localVMs) local")
    }
}
