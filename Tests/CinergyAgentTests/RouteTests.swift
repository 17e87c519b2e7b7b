import CinergyAgent
import CinergyCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP API")
struct RouteTests {
    static let configuration = AgentConfiguration(
        coefficients: [10, 10], cinergyRatio: 0.75, serverCores: 16, pue: 1.3, emissionFactorGramsPerKilowattHour: 50
    )

    /// A registry holding: "my-vm" (4 vCPUs, 1.5 % usage, the seed's example), "fresh" (no sample yet),
    /// two VMs both named "twin", a unicode name with spaces, and a paused VM.
    static func registry() -> VMRegistry {
        let registry = VMRegistry()
        func add(_ name: String, pid: Int32, uuid: String? = nil, vcpus: Int = 1, state: VMState = .running, usage: Double?) {
            let identity = VMIdentity(
                name: name, uuid: uuid, process: ProcessIdentity(pid: pid, startTimeTicks: 1), vcpus: vcpus, source: .procfs, state: state
            )
            registry.upsert(identity, nowUnixSeconds: 1_800_000_000)
            if let usage {
                registry.record(
                    [(identity.process!, UsageSample(cpuUsagePercent: usage, sampledAtUnixSeconds: 1_800_000_001.25, intervalSeconds: 1))],
                    statistics: RoundStatistics(finishedAtUnixSeconds: 1_800_000_001.25, durationSeconds: 0.001, vmCount: 1)
                )
            }
        }
        add("my-vm", pid: 100, uuid: "f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f", vcpus: 4, usage: 1.5)
        add("fresh", pid: 101, usage: nil)
        add("twin", pid: 102, usage: 5)
        add("twin", pid: 103, usage: 6)
        add("Ünïcødé VM ☃", pid: 104, vcpus: 2, usage: 50)
        add("sleepy", pid: 105, state: .paused, usage: 3)
        registry.setStatus(SourceStatus(available: true, lastUpdateUnixSeconds: 1_800_000_001, detail: "/proc"), for: .procfs)
        return registry
    }

    func withClient(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: buildRouter(configuration: Self.configuration, registry: Self.registry()))
        try await app.test(.router, body)
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8)) as? [String: Any])
    }

    /// The keys of a flat JSON object, in document order.
    static func keyOrder(_ body: String) -> [String] {
        var keys: [String] = []
        var depth = 0
        var index = body.startIndex
        while index < body.endIndex {
            let character = body[index]
            if character == "{" { depth += 1 } else if character == "}" { depth -= 1 }
            if character == "\"", depth == 1 {
                let start = body.index(after: index)
                let end = body[start...].firstIndex(of: "\"")!
                let after = body.index(after: end)
                if after < body.endIndex, body[after] == ":" { keys.append(String(body[start..<end])) }
                index = after
                continue
            }
            index = body.index(after: index)
        }
        return keys
    }

    @Test("GET /power: the seed's JSON, fields and order, with the seed's numbers")
    func power() async throws {
        try await withClient { client in
            try await client.execute(uri: "/power?vm=my-vm", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = String(buffer: response.body)
                #expect(
                    Self.keyOrder(body) == [
                        "vm", "cpu_usage", "vm_cores", "server_cores", "cinergy_ratio", "static_power_watts",
                        "dynamic_power_watts", "total_power_watts", "uuid", "model_input", "sampled_at", "sample_interval_seconds",
                        "energy_joules", "carbon_grams", "host_cpu_usage", "extrapolated",
                    ]
                )
                let json = try Self.json(response.body)
                #expect(json["vm"] as? String == "my-vm")
                #expect(json["cpu_usage"] as? Double == 1.5)
                #expect(json["vm_cores"] as? Int == 4)
                #expect(json["server_cores"] as? Int == 16)
                #expect(json["cinergy_ratio"] as? Double == 0.75)
                #expect(json["static_power_watts"] as? Double == 2.5)
                #expect(json["dynamic_power_watts"] as? Double == 11.25)
                #expect(json["total_power_watts"] as? Double == 13.75)
                #expect(json["uuid"] as? String == "f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f")
                #expect(json["model_input"] as? String == "vm_percent")
                #expect(json["sampled_at"] as? String == "2027-01-15T08:00:01.250Z")
                #expect(body.contains("\"vm_cores\":4,"))
                #expect(body.contains("\"extrapolated\":false"))
            }
        }
    }

    @Test("GET /carbon: the seed's JSON, fields and order")
    func carbon() async throws {
        try await withClient { client in
            try await client.execute(uri: "/carbon?vm=my-vm", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(
                    Self.keyOrder(body) == [
                        "vm", "power_watts", "pue", "emission_factor_gco2_per_kwh", "carbon_intensity_gco2_per_hour", "uuid", "sampled_at",
                        // emission_factor_source: added by issue 13 (file or EMISSION_FACTOR).
                        "energy_joules", "carbon_grams", "emission_factor_source",
                        // Issue 19: the static share, embodied and total rates, embodied so far, the factor's provenance.
                        "static_share", "embodied_carbon_gco2_per_hour", "total_carbon_gco2_per_hour", "embodied_carbon_grams",
                        "emission_factor_provider", "emission_factor_zone", "emission_factor_signal", "emission_factor_estimated",
                    ]
                )
                let json = try Self.json(response.body)
                #expect(json["emission_factor_source"] as? String == "EMISSION_FACTOR")
                #expect(json["power_watts"] as? Double == 13.75)
                #expect(json["pue"] as? Double == 1.3)
                #expect(json["emission_factor_gco2_per_kwh"] as? Double == 50)
                #expect(abs((json["carbon_intensity_gco2_per_hour"] as? Double ?? 0) - 0.89375) < 1e-12)
            }
        }
    }

    @Test("VMs are found by UUID and pid:N too")
    func otherKeys() async throws {
        try await withClient { client in
            for uri in ["/power?vm=F2319F2B-7D0C-4F6C-9C43-1A2B3C4D5E6F", "/power?vm=pid:100", "/carbon?vm=pid%3A100"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    let json = try Self.json(response.body)
                    #expect(json["vm"] as? String == "my-vm")
                }
            }
        }
    }

    @Test("names with spaces, unicode and escapes")
    func escapedNames() async throws {
        try await withClient { client in
            for query in ["%C3%9Cn%C3%AFc%C3%B8d%C3%A9%20VM%20%E2%98%83", "%C3%9Cn%C3%AFc%C3%B8d%C3%A9+VM+%E2%98%83"] {
                try await client.execute(uri: "/power?vm=\(query)", method: .get) { response in
                    #expect(response.status == .ok, "\(query)")
                    let json = try Self.json(response.body)
                    #expect(json["vm"] as? String == "Ünïcødé VM ☃")
                }
            }
        }
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let uri: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
        let messageContains: String
        var testDescription: String { "\(method) \(uri)" }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(uri: "/power", method: .get, status: .badRequest, messageContains: "missing"),
        ErrorCase(uri: "/carbon?vm=", method: .get, status: .badRequest, messageContains: "empty"),
        ErrorCase(uri: "/power?vm", method: .get, status: .badRequest, messageContains: "empty"),
        ErrorCase(uri: "/power?vm=a&vm=b", method: .get, status: .badRequest, messageContains: "2 times"),
        ErrorCase(uri: "/power?vm=%E2%98", method: .get, status: .badRequest, messageContains: "UTF-8"),
        ErrorCase(uri: "/power?vm=%zz", method: .get, status: .badRequest, messageContains: "percent-escape"),
        ErrorCase(uri: "/power?vm=unknown", method: .get, status: .notFound, messageContains: "no VM 'unknown'"),
        ErrorCase(uri: "/carbon?vm=fresh", method: .get, status: .notFound, messageContains: "no CPU usage yet"),
        ErrorCase(uri: "/power?vm=twin", method: .get, status: .conflict, messageContains: "pid:102"),
        ErrorCase(uri: "/power?vm=my-vm", method: .post, status: .methodNotAllowed, messageContains: "POST"),
        ErrorCase(uri: "/carbon?vm=my-vm", method: .delete, status: .methodNotAllowed, messageContains: "DELETE"),
        ErrorCase(uri: "/vms", method: .put, status: .methodNotAllowed, messageContains: "PUT"),
        ErrorCase(uri: "/nope", method: .get, status: .notFound, messageContains: "no such endpoint"),
    ]

    @Test("bad requests get a 4xx with a JSON error", arguments: errorCases)
    func errors(_ errorCase: ErrorCase) async throws {
        try await withClient { client in
            try await client.execute(uri: errorCase.uri, method: errorCase.method) { response in
                #expect(response.status == errorCase.status)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let message = try Self.json(response.body)["error"] as? String
                #expect(message?.contains(errorCase.messageContains) == true, "\(message ?? "no message")")
                if errorCase.status == .methodNotAllowed { #expect(response.headers[.allow] == "GET, HEAD") }
            }
        }
    }

    @Test("GET /vms lists every VM with nulls where unknown; paused VMs read 0")
    func vms() async throws {
        try await withClient { client in
            try await client.execute(uri: "/vms", method: .get) { response in
                #expect(response.status == .ok)
                let data = Data(String(buffer: response.body).utf8)
                let list = try #require(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
                #expect(list.map { $0["name"] as? String } == ["fresh", "my-vm", "sleepy", "twin", "twin", "Ünïcødé VM ☃"])
                let fresh = list[0]
                for key in ["name", "uuid", "pid", "vcpus", "source", "state", "cpu_usage", "total_power_watts"] {
                    #expect(fresh.keys.contains(key), "\(key)")
                }
                #expect(fresh["uuid"] is NSNull)
                #expect(fresh["cpu_usage"] is NSNull)
                #expect(fresh["total_power_watts"] is NSNull)
                #expect(list[1]["total_power_watts"] as? Double == 13.75)
                #expect(list[1]["pid"] as? Int == 100)
                #expect(list[1]["source"] as? String == "procfs")
                #expect(list[2]["state"] as? String == "paused")
                #expect(list[2]["cpu_usage"] as? Double == 0)
            }
        }
    }

    @Test("GET /health reports VMs, the last sample and the sources")
    func health() async throws {
        try await withClient { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let json = try Self.json(response.body)
                #expect(json["status"] as? String == "ok")
                #expect(json["vm_count"] as? Int == 6)
                #expect(json["last_sample_at"] as? String == "2027-01-15T08:00:01.250Z")
                let sources = try #require(json["sources"] as? [String: Any])
                let procfs = try #require(sources["procfs"] as? [String: Any])
                #expect(procfs["available"] as? Bool == true)
                #expect(procfs["vm_count"] as? Int == 6)
            }
        }
    }
}

@Suite("HTTP API: metrics and history")
struct MetricsRouteTests {
    @Test("GET /metrics: Prometheus text, per-VM series labelled by name and UUID only, host and agent metrics")
    func metrics() async throws {
        let registry = RouteTests.registry()
        let app = Application(router: buildRouter(configuration: RouteTests.configuration, registry: registry))
        try await app.test(.router) { client in
            _ = try await client.execute(uri: "/power?vm=my-vm", method: .get)
            _ = try await client.execute(uri: "/nope/\(UUID().uuidString)", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE cinergy_vm_power_watts gauge"))
                #expect(text.contains("cinergy_vm_power_watts{vm=\"my-vm\",uuid=\"f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f\"} 13.75"))
                #expect(text.contains("cinergy_vm_static_power_watts{vm=\"my-vm\",uuid=\"f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f\"} 2.5"))
                #expect(text.contains("cinergy_vm_cpu_usage_ratio{vm=\"my-vm\",uuid=\"f2319f2b-7d0c-4f6c-9c43-1a2b3c4d5e6f\"} 0.015"))
                #expect(text.contains("cinergy_vm_vcpus{vm=\"fresh\",uuid=\"\"} 1"))
                #expect(text.contains("# TYPE cinergy_vm_energy_joules_total counter"))
                #expect(text.contains("# TYPE cinergy_vm_carbon_grams_total counter"))
                #expect(text.contains("cinergy_vm_info{vm=\"sleepy\",uuid=\"\",source=\"procfs\",state=\"paused\"} 1"))
                #expect(text.contains("cinergy_server_cores 16"))
                #expect(text.contains("cinergy_pue 1.3"))
                #expect(text.contains("cinergy_vms{source=\"procfs\"} 6"))
                #expect(text.contains("cinergy_http_requests_total{route=\"/power\",status=\"200\"} 1"))
                #expect(text.contains("cinergy_http_requests_total{route=\"other\",status=\"404\"} 1"))
                // No PIDs or command lines as labels, and a VM without a sample has no power series.
                #expect(!text.contains("pid="))
                #expect(!text.contains("cinergy_vm_power_watts{vm=\"fresh\""))
                // Every sample line parses as name{labels} value.
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    #expect(line.split(separator: " ").last.flatMap { Double($0) } != nil, "\(line)")
                }
            }
        }
    }

    @Test("label values are escaped, and Nova labels appear only when enabled")
    func novaLabelsAndEscaping() async throws {
        let registry = VMRegistry()
        registry.upsert(
            VMIdentity(
                name: "we\"ird\\name\n", uuid: "0000aaaa-0000-0000-0000-000000000001",
                process: ProcessIdentity(pid: 1, startTimeTicks: 1), vcpus: 1, source: .libvirt,
                nova: NovaInstance(displayName: "shop", projectID: "p1", projectName: "retail", flavorName: "m1.tiny")
            ),
            nowUnixSeconds: 0
        )
        var configuration = RouteTests.configuration
        for enabled in [false, true] {
            configuration.metricsNovaLabels = enabled
            let app = Application(router: buildRouter(configuration: configuration, registry: registry))
            try await app.test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let text = String(buffer: response.body)
                    #expect(text.contains("vm=\"we\\\"ird\\\\name\\n\""))
                    #expect(text.contains("nova_project_name=\"retail\"") == enabled)
                    #expect(text.contains("nova_flavor=\"m1.tiny\"") == enabled)
                }
            }
        }
    }

    @Test("GET /history lists each VM's samples with power; ?vm= narrows it")
    func history() async throws {
        let app = Application(router: buildRouter(configuration: RouteTests.configuration, registry: RouteTests.registry()))
        try await app.test(.router) { client in
            try await client.execute(uri: "/history?vm=my-vm", method: .get) { response in
                #expect(response.status == .ok)
                let list = try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [[String: Any]])
                #expect(list.count == 1)
                let samples = try #require(list[0]["samples"] as? [[String: Any]])
                #expect(samples.count == 1)
                #expect(samples[0]["total_power_watts"] as? Double == 13.75)
            }
            try await client.execute(uri: "/history", method: .get) { response in
                let list = try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [[String: Any]])
                #expect(list.count == 6)
            }
            try await client.execute(uri: "/history?vm=fresh", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("GET /history shows each sample with the state and vCPUs it was counted with, not the VM's now")
    func historyAsItWas() async throws {
        let registry = VMRegistry()
        let process = ProcessIdentity(pid: 300, startTimeTicks: 1)
        func identity(_ state: VMState, vcpus: Int) -> VMIdentity {
            VMIdentity(name: "changing", uuid: nil, process: process, vcpus: vcpus, source: .procfs, state: state)
        }
        func sample(_ usage: Double, at seconds: Double) {
            registry.record(
                [(process, UsageSample(cpuUsagePercent: usage, sampledAtUnixSeconds: seconds, intervalSeconds: 1))],
                statistics: RoundStatistics(finishedAtUnixSeconds: seconds, durationSeconds: 0.001, vmCount: 1)
            )
        }
        registry.upsert(identity(.running, vcpus: 4), nowUnixSeconds: 1_800_000_000)
        sample(40, at: 1_800_000_001)
        // Paused, and down to 2 vCPUs: the next sample is counted so, the first stays as it was.
        registry.upsert(identity(.paused, vcpus: 2), nowUnixSeconds: 1_800_000_001.5)
        sample(30, at: 1_800_000_002)
        let model = RouteTests.configuration.powerModel
        let app = Application(router: buildRouter(configuration: RouteTests.configuration, registry: registry))
        try await app.test(.router) { client in
            try await client.execute(uri: "/history?vm=changing", method: .get) { response in
                #expect(response.status == .ok)
                let list = try #require(JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [[String: Any]])
                let samples = try #require(list.first?["samples"] as? [[String: Any]])
                #expect(samples.count == 2)
                #expect(samples[0]["state"] as? String == "running")
                #expect(samples[0]["vcpus"] as? Int == 4)
                #expect(samples[0]["cpu_usage"] as? Double == 40)
                #expect(samples[0]["total_power_watts"] as? Double == model.estimate(cpuUsagePercent: 40, vmCores: 4, runningVCPUs: registry.runningVCPUs).totalWatts)
                #expect(samples[1]["state"] as? String == "paused")
                #expect(samples[1]["vcpus"] as? Int == 2)
                #expect(samples[1]["cpu_usage"] as? Double == 0)
                #expect(samples[1]["total_power_watts"] as? Double == model.estimate(cpuUsagePercent: 0, vmCores: 2, runningVCPUs: registry.runningVCPUs).totalWatts)
            }
        }
    }
}

@Suite("HTTP API: bearer token and security headers")
struct AuthRouteTests {
    static let token = "s3cret-token-0123456789abcdef"

    func withClient(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var configuration = RouteTests.configuration
        configuration.authToken = BearerToken(Self.token)
        let app = Application(router: buildRouter(configuration: configuration, registry: RouteTests.registry()))
        try await app.test(.router, body)
    }

    @Test("without the token, or with a wrong one, the API answers 401 with a JSON error")
    func refused() async throws {
        try await withClient { client in
            for header in [nil, "Bearer wrong", "Bearer \(Self.token)x", "Bearer \(Self.token.dropLast())", "Basic \(Self.token)", Self.token] {
                var headers: HTTPFields = [:]
                if let header { headers[.authorization] = header }
                for uri in ["/power?vm=my-vm", "/vms", "/metrics", "/history", "/nope"] {
                    try await client.execute(uri: uri, method: .get, headers: headers) { response in
                        #expect(response.status == .unauthorized, "\(uri) with \(header ?? "no header")")
                        #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"cinergy\"")
                        let json = try RouteTests.json(response.body)
                        #expect((json["error"] as? String)?.contains("bearer token") == true)
                        #expect(!String(buffer: response.body).contains(Self.token))
                    }
                }
            }
        }
    }

    @Test("with the token the API answers; /health and the dashboard page stay open")
    func accepted() async throws {
        try await withClient { client in
            try await client.execute(uri: "/power?vm=my-vm", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
                #expect(response.status == .ok)
            }
            for uri in ["/health", "/"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                }
            }
        }
    }

    @Test("every response carries the security headers")
    func securityHeaders() async throws {
        let app = Application(router: buildRouter(configuration: RouteTests.configuration, registry: RouteTests.registry()))
        try await app.test(.router) { client in
            for uri in ["/power?vm=my-vm", "/vms", "/nope", "/metrics"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                    #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
                    #expect(response.headers[.contentSecurityPolicy] != nil, "\(uri)")
                }
            }
        }
    }

    @Test("the token compares whole, in constant time; its description is redacted")
    func tokenComparison() {
        let token = BearerToken("abcdefghijklmnop")
        #expect(token.matches(Array("abcdefghijklmnop".utf8)))
        #expect(!token.matches(Array("abcdefghijklmnoq".utf8)))
        #expect(!token.matches(Array("abcdefghijklmno".utf8)))
        #expect(!token.matches(Array("abcdefghijklmnopq".utf8)))
        #expect(!token.matches([UInt8]()))
        #expect("\(token)" == "<redacted>")
    }
}
