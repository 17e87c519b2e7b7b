import CinergyTestSupport
import Foundation
import Testing

/// The ledger with real libvirt domains: a Nova instance destroyed and started again (same UUID)
/// keeps its totals, and `/report?by=project` files it under its Nova project. Uses the machine's
/// libvirtd read-only through the agent; never restarts it.
@Suite("End to end: the energy ledger with libvirt domains", .serialized)
struct LedgerLibvirtEndToEndTests {
    @Test("a Nova domain destroyed and started again keeps its totals; the report files it under its project")
    func novaDomainStopStart() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let from = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-120))
        var env = EndToEnd.libvirtEnv
        env["LOG_LEVEL"] = "info"
        env["STATE_DIRECTORY"] = directory.path + "/state"
        env["LEDGER_FLUSH_SECONDS"] = "1"
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        let instance = EndToEnd.uniqueDomainName("ledger-nova")
        let nova = """
            <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
              <nova:name>ledger-frontend</nova:name>
              <nova:owner>
                <nova:user uuid="9f1c2d3e4b5a69788796a5b4c3d2e1f0">alice</nova:user>
                <nova:project uuid="5e5e1c0d9e8f77665544332211000013">billing</nova:project>
              </nova:owner>
            </nova:instance>
            """
        let domain = TestDomain(name: instance, spinning: true, metadata: nova)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        try await agent.waitFor("the domain with some energy", seconds: 60) { (await LedgerFixture.energy(agent, instance) ?? 0) > 100 }
        let beforeStop = await LedgerFixture.energy(agent, instance) ?? 0
        await domain.destroy()
        try await agent.waitFor("the domain gone") { await LedgerFixture.energy(agent, instance) == nil }
        try await domain.create(in: directory.path)
        var afterStart = 0.0
        try await agent.waitFor("the domain back", seconds: 60) {
            guard let energy = await LedgerFixture.energy(agent, instance) else { return false }
            afterStart = energy
            return true
        }
        print("ledger libvirt: \(beforeStop) J before virsh destroy, \(afterStart) J after virsh create (same UUID)")
        #expect(afterStart >= beforeStop - 1e-6)

        try await LedgerFixture.waitForFlushes(agent)
        let to = ISO8601DateFormatter().string(from: Date().addingTimeInterval(120))
        let (status, json) = try await agent.get("/report?from=\(from)&to=\(to)&by=project")
        #expect(status == 200)
        let rows = try #require((json as? [String: Any])?["rows"] as? [[String: Any]])
        let billing = try #require(rows.first { $0["project_id"] as? String == "5e5e1c0d9e8f77665544332211000013" }, "\(rows)")
        #expect(billing["project_name"] as? String == "billing")
        #expect(billing["vm"] is NSNull)
        #expect((billing["energy_joules"] as? Double ?? 0) >= beforeStop - 1e-6)
        let (energyStatus, energyJSON) = try await agent.get("/energy?vm=\(domain.uuid)&from=\(from)&to=\(to)&step=1m")
        #expect(energyStatus == 200)
        #expect((energyJSON as? [String: Any])?["vm"] as? String == instance)
        await domain.destroy()
    }
}
