import CinergyAgent
import CinergyCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `/carbon`, `/host` and `/metrics` with embodied emissions, the static share choice and the
/// SCS-0414 gauges (issue 19).
@Suite("HTTP API: embodied carbon, static shares, SCS-0414")
struct FootprintRouteTests {
    /// f(x) = 80 + x W on 8 CPUs; 876.6 kgCO2eq over 1 year = 100 g/h for the whole server;
    /// PUE 1.25, 400 g/kWh.
    static func configuration(embodied: Bool, share: StaticShare) -> AgentConfiguration {
        var configuration = AgentConfiguration(
            coefficients: [80, 1], cinergyRatio: 1, serverCores: 8, pue: 1.25, emissionFactorGramsPerKilowattHour: 400
        )
        configuration.staticShare = share
        if embodied {
            configuration.embodiedEmissionsKilograms = 876.6
            configuration.serverLifetimeYears = 1
        }
        configuration.sustainabilityDatacenter = "dc1"
        configuration.sustainabilityComponent = "hv-01"
        return configuration
    }

    /// 16 vCPUs on 8 CPUs: "web" (4 vCPUs, project p1), "db" (8, project p1), "batch" (4, p2),
    /// "hand" (no Nova metadata, 0 vCPUs), each sampled for 3,600 rounds of 1 s at 10 % of a CPU.
    static func registry(_ configuration: AgentConfiguration) -> VMRegistry {
        let registry = VMRegistry(accounting: configuration.accounting)
        let vms: [(String, Int, NovaInstance?)] = [
            ("web", 4, NovaInstance(projectID: "p1", projectName: "shop")),
            ("db", 8, NovaInstance(projectID: "p1", projectName: "shop")),
            ("batch", 4, NovaInstance(projectID: "p2", projectName: "science")),
            ("hand", 0, nil),
        ]
        var identities: [VMIdentity] = []
        for (index, (name, vcpus, nova)) in vms.enumerated() {
            let identity = VMIdentity(
                name: name, uuid: "u-\(name)", process: ProcessIdentity(pid: Int32(10 + index), startTimeTicks: 1), vcpus: vcpus,
                source: .libvirt, nova: nova
            )
            registry.upsert(identity, nowUnixSeconds: 0)
            identities.append(identity)
        }
        for second in 1...3600 {
            let samples = identities.map { ($0.process!, UsageSample(cpuUsagePercent: 10, sampledAtUnixSeconds: Double(second), intervalSeconds: 1)) }
            registry.record(samples, statistics: RoundStatistics(finishedAtUnixSeconds: Double(second), durationSeconds: 0, vmCount: 4))
        }
        return registry
    }

    static func get(_ uri: String, embodied: Bool, share: StaticShare) async throws -> String {
        let configuration = Self.configuration(embodied: embodied, share: share)
        let app = Application(router: buildRouter(configuration: configuration, registry: Self.registry(configuration)))
        return try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("GET /carbon: embodied rate TE / EL x share, total = operational + embodied; embodied so far")
    func carbon() async throws {
        // running_vcpus: web's share is 4 / max(8, 16) = 0.25.
        let json = try Self.json(try await Self.get("/carbon?vm=web", embodied: true, share: .runningVCPUs))
        #expect(json["static_share"] as? Double == 0.25)
        // Power: 80 x 0.25 + 10 = 30 W; operational 30 / 1000 x 1.25 x 400 = 15 g/h.
        #expect(abs((json["carbon_intensity_gco2_per_hour"] as? Double ?? 0) - 15) < 1e-9)
        #expect(abs((json["embodied_carbon_gco2_per_hour"] as? Double ?? 0) - 25) < 1e-9)
        #expect(abs((json["total_carbon_gco2_per_hour"] as? Double ?? 0) - 40) < 1e-9)
        // An hour in the registry at a quarter of 100 g/h.
        #expect(abs((json["embodied_carbon_grams"] as? Double ?? 0) - 25) < 1e-6)
        #expect(json["emission_factor_provider"] is NSNull)
    }

    @Test("GET /carbon without SERVER_EMBODIED_EMISSIONS: embodied and total are null, not 0; the seed's share")
    func carbonNotAccounted() async throws {
        let json = try Self.json(try await Self.get("/carbon?vm=web", embodied: false, share: .serverCores))
        #expect(json["static_share"] as? Double == 0.5)
        #expect(json["embodied_carbon_gco2_per_hour"] is NSNull)
        #expect(json["total_carbon_gco2_per_hour"] is NSNull)
        #expect(json["embodied_carbon_grams"] is NSNull)
    }

    @Test("GET /host: the shares add up to 2 with the seed's rule on 16 vCPUs over 8 CPUs, to 1 with running_vcpus")
    func hostShares() async throws {
        let seed = try Self.json(try await Self.get("/host", embodied: true, share: .serverCores))
        #expect(seed["static_share"] as? String == "server_cores")
        #expect(seed["running_vcpus"] as? Int == 16)
        #expect(seed["static_share_sum"] as? Double == 2)
        #expect(abs((seed["embodied_carbon_gco2_per_hour"] as? Double ?? 0) - 200) < 1e-9)
        let capped = try Self.json(try await Self.get("/host", embodied: true, share: .runningVCPUs))
        #expect(capped["static_share_sum"] as? Double == 1)
        #expect(abs((capped["embodied_carbon_gco2_per_hour"] as? Double ?? 0) - 100) < 1e-9)
        let none = try Self.json(try await Self.get("/host", embodied: false, share: .runningVCPUs))
        #expect(none["embodied_carbon_gco2_per_hour"] is NSNull)
    }

    /// The value of the one sample of `name` with `labels` in an exposition.
    static func sample(_ text: String, _ name: String, _ labels: String) -> Double? {
        let prefix = labels.isEmpty ? "\(name) " : "\(name){\(labels)} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    @Test("GET /metrics: the embodied counter per VM and SCS-0414's tenant and provider gauges, by hand")
    func metrics() async throws {
        let text = try await Self.get("/metrics", embodied: true, share: .runningVCPUs)
        // Embodied per VM: 100 g/h x vCPUs / 16 for an hour.
        #expect(abs((Self.sample(text, "cinergy_vm_embodied_carbon_grams_total", "vm=\"db\",uuid=\"u-db\"") ?? 0) - 50) < 1e-6)
        // Tenant p1 (web + db): static 80 x 12/16 = 60 W, dynamic 2 x 10 W: 80 W for an hour =
        // 0.08 kWh, x 1.25 PUE = 0.1 kWh; operational 0.1 x 400 g = 40 g; embodied 75 g.
        let p1 = "project_id=\"p1\",project_name=\"shop\""
        #expect(abs((Self.sample(text, "sustainability_tenant_energy_kwh", p1) ?? 0) - 0.1) < 1e-9)
        #expect(abs((Self.sample(text, "sustainability_tenant_operational_gwp_kg", p1) ?? 0) - 0.04) < 1e-9)
        #expect(abs((Self.sample(text, "sustainability_tenant_embodied_gwp_kg", p1) ?? 0) - 0.075) < 1e-9)
        #expect(abs((Self.sample(text, "sustainability_tenant_total_gwp_kg", p1) ?? 0) - 0.115) < 1e-9)
        // "hand" has no project: no tenant series for it, but it is in the provider's.
        #expect(!text.contains("project_id=\"\""))
        // Provider: every VM: static 80 W (the shares add up to 1), dynamic 4 x 10 W = 120 W for an
        // hour = 0.15 kWh with the PUE; 60 g operational; 100 g embodied.
        let provider = "datacenter=\"dc1\",component=\"hv-01\""
        #expect(abs((Self.sample(text, "sustainability_provider_energy_kwh", provider) ?? 0) - 0.15) < 1e-9)
        #expect(abs((Self.sample(text, "sustainability_provider_operational_gwp_kg", provider) ?? 0) - 0.06) < 1e-9)
        #expect(abs((Self.sample(text, "sustainability_provider_embodied_gwp_kg", provider) ?? 0) - 0.1) < 1e-9)
        #expect(abs((Self.sample(text, "sustainability_provider_total_gwp_kg", provider) ?? 0) - 0.16) < 1e-9)
        #expect(text.contains("# TYPE sustainability_tenant_total_gwp_kg gauge"))
    }

    @Test("GET /metrics without embodied emissions: no embodied or total series (not 0)")
    func metricsNotAccounted() async throws {
        let text = try await Self.get("/metrics", embodied: false, share: .serverCores)
        #expect(!text.contains("cinergy_vm_embodied_carbon_grams_total"))
        #expect(!text.contains("_embodied_gwp_kg"))
        #expect(!text.contains("_total_gwp_kg"))
        #expect(text.contains("sustainability_tenant_energy_kwh{project_id=\"p2\",project_name=\"science\"}"))
    }
}
