import CinergyAgent
import CinergyCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// docs/SCI-EXAMPLE.md's month, run through the agent's own registry and `/metrics`: a 32-CPU host,
/// three VMs, 720 hours sampled once a minute, compared with the figures worked out by hand there.
/// `swift test --skip-build --filter SCIWorkedExampleTests` prints the agent's figures.
@Suite("SCI worked example (docs/SCI-EXAMPLE.md)")
struct SCIWorkedExampleTests {
    /// REG_COEFF=160,0.2, CINERGY_RATIO=1, SERVER_CORES=32, DC_PUE=1.5, EMISSION_FACTOR=300,
    /// STATIC_SHARE=running_vcpus, SERVER_EMBODIED_EMISSIONS=1753.2, SERVER_LIFETIME=5.
    static func configuration() throws -> AgentConfiguration {
        let values = [
            "REG_COEFF": "160,0.2", "CINERGY_RATIO": "1", "SERVER_CORES": "32", "DC_PUE": "1.5", "EMISSION_FACTOR": "300",
            "STATIC_SHARE": "running_vcpus", "SERVER_EMBODIED_EMISSIONS": "1753.2", "SERVER_LIFETIME": "5",
            "SUSTAINABILITY_DATACENTER": "dc1", "SUSTAINABILITY_COMPONENT": "compute-01",
        ]
        return try AgentConfiguration.validate(onlineCPUs: 32) { values[$0] }
    }

    /// The hand's figures (docs/SCI-EXAMPLE.md): per VM, operational and embodied grams and hours.
    static let byHand: [String: (operational: Double, embodied: Double, hours: Double)] = [
        "web": (14_040, 6_000, 720), "db": (31_320, 12_000, 720), "batch": (32_400, 6_000, 240),
    ]

    @Test("O, M and SCI per VM-hour by the agent agree with the hand's, per VM and per project")
    func month() async throws {
        let configuration = try Self.configuration()
        #expect(abs((configuration.embodiedModel?.hostGramsPerHour ?? 0) - 40) < 1e-9, "1,753.2 kg over 5 years is 40 g/h")
        let registry = VMRegistry(accounting: configuration.accounting)
        func vm(_ name: String, _ pid: Int32, vcpus: Int, project: String) -> VMIdentity {
            VMIdentity(
                name: name, uuid: "u-\(name)", process: ProcessIdentity(pid: pid, startTimeTicks: 1), vcpus: vcpus, source: .libvirt,
                nova: NovaInstance(projectID: "p-\(project)", projectName: project)
            )
        }
        // CPU usage in percent of one host CPU: web 50 % (half a core), db 150 %, batch 1,000 %.
        let fleet = [(vm("web", 1, vcpus: 8, project: "shop"), 50.0), (vm("db", 2, vcpus: 16, project: "shop"), 150), (vm("batch", 3, vcpus: 40, project: "science"), 1000)]
        for (identity, _) in fleet { registry.upsert(identity, nowUnixSeconds: 0) }
        let interval = 60.0
        for minute in 1...(720 * 60) {
            let now = Double(minute) * interval
            if minute == 240 * 60 + 1 { registry.remove(key: fleet[2].0.key) }  // batch stops after 240 h
            let samples = fleet.map { ($0.0.process!, UsageSample(cpuUsagePercent: $0.1, sampledAtUnixSeconds: now, intervalSeconds: interval)) }
            registry.record(samples, statistics: RoundStatistics(finishedAtUnixSeconds: now, durationSeconds: 0, vmCount: samples.count))
        }

        var lines: [String] = []
        var projects: [String: (operational: Double, embodied: Double, hours: Double)] = [:]
        for totals in registry.totals().sorted(by: { $0.ledgerKey < $1.ledgerKey }) {
            let name = String(totals.ledgerKey.dropFirst(2))
            let hand = try #require(Self.byHand[name])
            let operational = totals.carbonGrams
            let embodied = try #require(totals.embodiedGrams)
            let sci = (operational + embodied) / hand.hours
            lines.append(
                "\(name): E \(Self.format(totals.energyJoules / 3.6e6 * configuration.pue)) kWh, O \(Self.format(operational)) g, M \(Self.format(embodied)) g, SCI \(Self.format(sci)) g/VM-hour over \(Self.format(hand.hours)) h"
            )
            #expect(abs(operational - hand.operational) < 1e-6 * hand.operational, "\(name) O")
            #expect(abs(embodied - hand.embodied) < 1e-6 * hand.embodied, "\(name) M")
            #expect(abs(sci - (hand.operational + hand.embodied) / hand.hours) < 1e-6 * sci, "\(name) SCI")
            let project = try #require(totals.nova?.projectName)
            var sum = projects[project] ?? (0, 0, 0)
            sum = (sum.operational + operational, sum.embodied + embodied, sum.hours + hand.hours)
            projects[project] = sum
        }
        for (project, sum) in projects.sorted(by: { $0.key < $1.key }) {
            lines.append("project \(project): O \(Self.format(sum.operational)) g, M \(Self.format(sum.embodied)) g, SCI \(Self.format((sum.operational + sum.embodied) / sum.hours)) g/VM-hour over \(Self.format(sum.hours)) VM-hours")
        }
        #expect(abs((projects["shop"].map { ($0.operational + $0.embodied) / $0.hours } ?? 0) - 44) < 1e-6)
        #expect(abs((projects["science"].map { ($0.operational + $0.embodied) / $0.hours } ?? 0) - 160) < 1e-6)

        // The same month in /metrics' SCS-0414 gauges (kg, kWh).
        let app = Application(router: buildRouter(configuration: configuration, registry: registry))
        let metrics = try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
        }
        let gauges = metrics.split(separator: "\n").filter { $0.hasPrefix("sustainability_") }
        lines += gauges.map(String.init)
        func gauge(_ line: String) -> Double? {
            gauges.first { $0.hasPrefix(line + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        let shop = "{project_id=\"p-shop\",project_name=\"shop\"}"
        #expect(abs((gauge("sustainability_tenant_energy_kwh" + shop) ?? 0) - 151.2) < 1e-6)
        #expect(abs((gauge("sustainability_tenant_total_gwp_kg" + shop) ?? 0) - 63.36) < 1e-6)
        #expect(abs((gauge("sustainability_provider_embodied_gwp_kg{datacenter=\"dc1\",component=\"compute-01\"}") ?? 0) - 24) < 1e-6)
        print("SCI worked example, as the agent computes it:\n" + lines.joined(separator: "\n"))
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
