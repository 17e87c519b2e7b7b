import CinergyTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

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

    @Test("promtool check metrics: a real /metrics scrape with a VM, libvirt and Nova labels on, has no problem")
    func checkMetrics() async throws {
        let promtool = try Self.promtool()
        let directory = try TemporaryDirectory()
        let name = "\(EndToEnd.prefix)-promtool"
        let uuid = "0c1e5a0e-0000-4000-a000-\(String(format: "%012x", Int.random(in: 0..<(1 << 40))))"
        let standIn = try ChildProcess(
            name,
            executable: try StandIn.build(in: directory.path),
            arguments: [
                "-name", "guest=\(name),debug-threads=on", "-S", "-machine", "pc-i440fx-7.2,usb=off", "-accel", "tcg",
                "-m", "64", "-smp", "2", "-uuid", uuid, "-display", "none", "-no-user-config", "-nodefaults",
            ],
            environment: ["CINERGY_STANDIN_IDLE": "1"]
        )
        defer { standIn.signal(SIGKILL) }
        var env = EndToEnd.env
        env["LIBVIRT_URI"] = "qemu:///system"
        env["METRICS_NOVA_LABELS"] = "true"
        // Issue 19: the embodied counter and the SCS-0414 gauges are in the scrape promtool checks.
        env["SERVER_EMBODIED_EMISSIONS"] = "970"
        env["SUSTAINABILITY_DATACENTER"] = "dc \"1\""
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitFor("the stand-in with a usage in /vms") {
            await agent.vms().contains { $0["name"] as? String == name && $0["cpu_usage"] is Double }
        }
        // Some requests, so that the request counter has a few label sets (a 404 among them).
        _ = try await agent.getText("/power?vm=\(name)")
        _ = try await agent.getText("/no-such-route")

        let (status, scrape) = try await agent.getText("/metrics")
        #expect(status == 200)
        #expect(scrape.contains("cinergy_vm_power_watts{vm=\"\(name)\""), "\(scrape)")
        #expect(scrape.contains("cinergy_libvirt_connected"))
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
    }
}
