import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The whole footprint through the real binary and its SQLite file (issue 19): with the server's
/// embodied emissions configured, `/report` gives operational, embodied and total grams and the
/// SCI per VM-hour, the embodied part at `TE / EL × share` per second active, as stored per bucket.
@Suite("End to end: embodied carbon and the SCI in the ledger's reports", .serialized)
struct LedgerFootprintEndToEndTests {
    static let prefix = EndToEnd.prefix + "-footprint"
    /// 1,000 kgCO2eq over 1 year of 365.25 days, shared by 4 vCPUs of `EndToEnd.env`'s 16 server cores.
    static let embodiedGramsPerSecond = 1_000_000.0 / (365.25 * 86400) * 4 / 16

    @Test("a VM's month so far: embodied = TE / EL x share x seconds active, total = operational + embodied, SCI = total per VM-hour")
    func report() async throws {
        let directory = try TemporaryDirectory()
        let name = "\(Self.prefix)-vm"
        let standIn = try LedgerFixture.standIn(name, uuid: LedgerFixture.uuid(21), executable: try StandIn.build(in: directory.path))
        let from = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
        let env = LedgerFixture.env(
            stateDirectory: directory.path + "/state", flushSeconds: 1,
            extra: ["SERVER_EMBODIED_EMISSIONS": "1000", "SERVER_LIFETIME": "1"]
        )
        let agent = try AgentUnderTest(env: env, directory: try LedgerFixture.run(1, in: directory))
        try await agent.waitFor("the VM with some energy") { (await LedgerFixture.energy(agent, name) ?? 0) > 300 }
        let served = try #require(await LedgerFixture.carbon(agent, name))
        let servedGrams = try #require(served["carbon_grams"] as? Double)
        let servedJoules = try #require(served["energy_joules"] as? Double)
        standIn.signal(SIGKILL)
        _ = await standIn.waitForExit(seconds: 10)
        try await agent.waitFor("the VM gone") { await LedgerFixture.energy(agent, name) == nil }
        try await LedgerFixture.waitForFlushes(agent)
        let to = ISO8601DateFormatter().string(from: Date().addingTimeInterval(120))
        let (status, json) = try await agent.get("/report?from=\(from)&to=\(to)")
        #expect(status == 200)
        let rows = try #require((json as? [String: Any])?["rows"] as? [[String: Any]])
        let row = try #require(rows.first { $0["vm"] as? String == name })
        let running = try #require(row["running_seconds"] as? Double)
        let operational = try #require(row["operational_carbon_grams"] as? Double)
        let embodied = try #require(row["embodied_carbon_grams"] as? Double)
        let total = try #require(row["total_carbon_grams"] as? Double)
        let sci = try #require(row["sci_grams_per_vm_hour"] as? Double)
        print("footprint: \(running) s active, operational \(operational) g, embodied \(embodied) g, total \(total) g, SCI \(sci) g per VM-hour")
        #expect(running > 3)
        #expect(abs(embodied - Self.embodiedGramsPerSecond * running) <= 1e-9 * max(1, embodied))
        #expect(abs(total - (operational + embodied)) <= 1e-9 * max(1, total))
        #expect(abs(sci - total / (running / 3600)) <= 1e-9 * max(1, sci))
        // The report's carbon is the VM's: what /carbon served last, plus at most the sample in
        // flight at the kill (1.5 s at the busy power, at the grams per joule served), less 1e-9
        // of JSON rounding.
        #expect(operational >= servedGrams * (1 - 1e-9))
        #expect(operational <= servedGrams + LedgerFixture.busyWatts * 1.5 * servedGrams / servedJoules)
        _ = standIn
    }

    @Test("without SERVER_EMBODIED_EMISSIONS: embodied, total and SCI are null, never 0")
    func unaccounted() async throws {
        let directory = try TemporaryDirectory()
        let name = "\(Self.prefix)-none"
        let standIn = try LedgerFixture.standIn(name, uuid: LedgerFixture.uuid(22), executable: try StandIn.build(in: directory.path))
        let from = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
        let agent = try AgentUnderTest(
            env: LedgerFixture.env(stateDirectory: directory.path + "/state", flushSeconds: 1), directory: try LedgerFixture.run(1, in: directory)
        )
        try await agent.waitFor("the VM with some energy") { (await LedgerFixture.energy(agent, name) ?? 0) > 100 }
        try await LedgerFixture.waitForFlushes(agent)
        let (status, json) = try await agent.get("/report?from=\(from)")
        #expect(status == 200)
        let rows = try #require((json as? [String: Any])?["rows"] as? [[String: Any]])
        let row = try #require(rows.first { $0["vm"] as? String == name })
        #expect(row["embodied_carbon_grams"] is NSNull)
        #expect(row["total_carbon_grams"] is NSNull)
        #expect(row["sci_grams_per_vm_hour"] is NSNull)
        #expect((row["operational_carbon_grams"] as? Double ?? 0) > 0)
        standIn.signal(SIGKILL)
        _ = await standIn.waitForExit(seconds: 10)
    }
}
