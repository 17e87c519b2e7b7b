import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The fleet's Prometheus side, checked by Prometheus's own `promtool`: the rules in
/// deploy/prometheus load and do what their unit tests say, and a real scrape of the agent lints clean.
@Suite("Prometheus: the rules and the agent's exposition, checked by promtool", .serialized)
struct PrometheusRulesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized.path
    static let rules = repository + "/deploy/prometheus/cinergy-rules.yml"
    static let rulesTest = repository + "/deploy/prometheus/cinergy-rules.test.yml"

    static func promtool() throws -> String {
        try #require(Kernel.which("promtool"), "promtool is not installed (Debian package prometheus): run `make test`")
    }

    @Test("promtool check rules: the rules file loads, every expression parses")
    func checkRules() async throws {
        let result = try await Command.run(try Self.promtool(), ["check", "rules", Self.rules])
        #expect(result.status == 0, "promtool check rules:\n\(result.output)")
        #expect(result.output.contains("SUCCESS"), "\(result.output)")
    }

    @Test("promtool test rules: recorded fleet figures and alerts as cinergy-rules.test.yml expects")
    func testRules() async throws {
        // promtool resolves rule_files relative to the test file.
        let result = try await Command.run(try Self.promtool(), ["test", "rules", Self.rulesTest])
        #expect(result.status == 0, "promtool test rules:\n\(result.output)")
        #expect(result.output.contains("SUCCESS"), "\(result.output)")
    }

    @Test("promtool check metrics: a real /metrics scrape with a libvirt domain carrying Nova metadata, Nova labels on, has no problem")
    func checkMetrics() async throws {
        let promtool = try Self.promtool()
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let name = EndToEnd.uniqueDomainName("promtool")
        let nova = """
            <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
              <nova:name>promtool-check</nova:name>
              <nova:flavor name="m1.tiny"><nova:memory>32</nova:memory><nova:vcpus>1</nova:vcpus></nova:flavor>
              <nova:owner>
                <nova:user uuid="9f1c2d3e4b5a69788796a5b4c3d2e1f0">alice</nova:user>
                <nova:project uuid="3a2b1c0d9e8f77665544332211009988">retail</nova:project>
              </nova:owner>
            </nova:instance>
            """
        let domain = TestDomain(name: name, spinning: false, metadata: nova)
        janitor.track(domain)
        var env = EndToEnd.libvirtEnv
        env["METRICS_NOVA_LABELS"] = "true"
        // Issue 19: the embodied counter and the SCS-0414 gauges are in the scrape promtool checks.
        env["SERVER_EMBODIED_EMISSIONS"] = "970"
        env["SUSTAINABILITY_DATACENTER"] = "dc \"1\""
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await domain.create(in: directory.path)
        try await agent.waitFor("the domain with a usage and its Nova name in /vms") {
            await agent.vms().contains {
                $0["name"] as? String == name && $0["cpu_usage"] is Double && ($0["nova"] as? [String: Any])?["name"] as? String == "promtool-check"
            }
        }
        // Some requests, so that the request counter has a few label sets (a 404 among them).
        _ = try await agent.getText("/power?vm=\(name)")
        _ = try await agent.getText("/no-such-route")

        let (status, scrape) = try await agent.getText("/metrics")
        #expect(status == 200)
        #expect(scrape.contains("cinergy_vm_power_watts{vm=\"\(name)\",uuid=\"\(domain.uuid)\",nova_name=\"promtool-check\","), "\(scrape)")
        #expect(scrape.contains("nova_project_name=\"retail\",nova_flavor=\"m1.tiny\"}"), "\(scrape)")
        #expect(scrape.contains("\ncinergy_libvirt_connected 1\n"), "\(scrape)")
        #expect(scrape.contains("cinergy_vm_embodied_carbon_grams_total{vm=\"\(name)\""), "\(scrape)")
        #expect(scrape.contains("sustainability_provider_total_gwp_kg{datacenter=\"dc \\\"1\\\"\",component=\"\"}"), "\(scrape)")
        let scrapeFile = directory.path + "/metrics.txt"
        try scrape.write(toFile: scrapeFile, atomically: true, encoding: .utf8)

        // promtool reads the exposition on its standard input.
        let result = try await Command.run("/bin/sh", ["-c", "exec \"$0\" check metrics < \"$1\"", promtool, scrapeFile])
        #expect(result.status == 0, "promtool check metrics (exit \(result.status)):\n\(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool check metrics:\n\(result.output)")

        agent.child.signal(SIGTERM)
        #expect(await agent.child.waitForExit(seconds: 20) == 0, "agent log:\n\(agent.log)")
        await domain.destroy()
    }
}
