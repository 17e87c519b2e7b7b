import CinergyAgent
import CinergyCore
import CinergyMeter
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// The metered share (issue 18) through the routes, in process: two VMs of known CPU use, readings
/// handed to the monitor as the meter thread hands them (`HostMeterService.share`), and the exact
/// figures `/host`, `/power` and `/metrics` must then show; without a meter, none of them.
@Suite("HTTP API: the metered share and the observed ratio beside the isolated figures")
struct MeteredShareRouteTests {
    /// f(x) = 80 + x − 0.005 x² W (x: percent of one CPU), CINERGY_RATIO 0.5, 8 CPUs.
    static func configuration(meter: MeterChoice) -> AgentConfiguration {
        var configuration = AgentConfiguration(
            coefficients: [80, 1, -0.005], cinergyRatio: 0.5, serverCores: 8, pue: 1, emissionFactorGramsPerKilowattHour: 100
        )
        configuration.hostMeter = meter
        return configuration
    }

    /// "a" (2 vCPUs, 60 % of a CPU) and "b" (2 vCPUs, 20 %), the host 12.5 % busy (one CPU of 8).
    static func registry(_ configuration: AgentConfiguration) -> VMRegistry {
        let registry = VMRegistry(accounting: configuration.accounting)
        let vms: [(String, Double)] = [("a", 60), ("b", 20)]
        var samples: [(ProcessIdentity, UsageSample)] = []
        for (index, (name, cpu)) in vms.enumerated() {
            let process = ProcessIdentity(pid: Int32(10 + index), startTimeTicks: 1)
            registry.upsert(VMIdentity(name: name, uuid: "u-\(name)", process: process, vcpus: 2, source: .libvirt), nowUnixSeconds: 0)
            samples.append((process, UsageSample(cpuUsagePercent: cpu, sampledAtUnixSeconds: 1, intervalSeconds: 1, hostCPUUsagePercent: 12.5)))
        }
        registry.record(samples, statistics: RoundStatistics(finishedAtUnixSeconds: 1, durationSeconds: 0, vmCount: 2, hostCPUUsagePercent: 12.5))
        return registry
    }

    /// A monitor fed `measured` watts per reading, split by the meter service's own `share`.
    static func monitor(_ configuration: AgentConfiguration, _ registry: VMRegistry, readings measured: [Double]) throws -> HostPowerMonitor {
        let monitor = configuration.hostPowerMonitor()
        monitor.setMeter(.init(kind: .rapl, measures: "CPU package power (test)"))
        let service = HostMeterService(
            configuration: .init(choice: .rapl, onlineCPUs: 8), monitor: monitor, model: configuration.powerModel, registry: registry,
            logger: Logger(label: "test")
        )
        for (index, watts) in measured.enumerated() {
            let share = try #require(service.share(measuredWatts: watts, hostLoadPercent: 12.5)).share
            let comparison = HostPowerMonitor.Comparison(
                atUnixSeconds: 100 + Double(index), hostLoadPercent: 12.5, measuredWatts: watts,
                predictedWatts: configuration.powerModel.hostWatts(hostLoadPercent: 12.5)
            )
            monitor.record(comparison, energyJoules: watts, share: share)
        }
        return monitor
    }

    static func get(_ uris: [String], meter: MeterChoice, readings: [Double]) async throws -> [String] {
        let configuration = Self.configuration(meter: meter)
        let registry = Self.registry(configuration)
        let monitor = try Self.monitor(configuration, registry, readings: readings)
        let app = Application(router: buildRouter(configuration: configuration, registry: registry, hostMonitor: monitor))
        return try await app.test(.router) { client in
            var bodies: [String] = []
            for uri in uris {
                bodies.append(
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .ok, "\(uri)")
                        return String(buffer: response.body)
                    })
            }
            return bodies
        }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The sample lines of a Prometheus text (HELP and TYPE left out).
    static func series(in metrics: String) -> [Substring] {
        metrics.split(separator: "\n").filter { !$0.hasPrefix("#") }
    }

    /// The value of the sample `series` (name and labels as written) in a Prometheus text.
    static func value(of series: String, in metrics: String) -> Double? {
        metrics.split(separator: "\n").lazy.compactMap { line -> Double? in
            guard line.hasPrefix(series + " ") else { return nil }
            return Double(line.dropFirst(series.count + 1))
        }.first
    }

    static func close(_ value: Any?, _ expected: Double, _ what: String) {
        guard let value = value as? Double else {
            Issue.record("\(what): \(String(describing: value)), expected \(expected)")
            return
        }
        #expect(abs(value - expected) < 1e-9, "\(what): \(value), expected \(expected)")
    }

    // Reading 1, 120 W: idle f(0) = 80 W shared by vCPUs over 8 CPUs, 20 W each; the 40 W above
    // idle by CPU time over the host's 100 % busy: a 24 W, b 8 W; the host's own 48 W.
    // Reading 2, 100 W: a 12 W, b 4 W above idle. Model dynamic (ratio 1): a f(60) − f(0) = 42 W,
    // b f(20) − f(0) = 18 W. Observed over both: a 36 / 84, b 12 / 36, all 48 / 120 (load-weighted,
    // not the mean of the VMs' ratios).

    @Test("GET /host: each VM's attributed power, VMs + host own = measured, the observed ratio beside CINERGY_RATIO")
    func host() async throws {
        let body = try await Self.get(["/host"], meter: .rapl, readings: [120, 100])[0]
        let meter = try #require(try Self.json(body)["meter"] as? [String: Any])
        #expect(meter["kind"] as? String == "rapl")
        let share = try #require(meter["attribution"] as? [String: Any])
        Self.close(share["measured_power_watts"], 100, "measured")
        Self.close(share["idle_power_watts"], 80, "idle")
        Self.close(share["vms_attributed_power_watts"], 20 + 12 + 20 + 4, "VMs")
        Self.close(share["host_own_power_watts"], 100 - 56, "host own")
        Self.close(share["sum_watts"], 100, "sum")
        Self.close(share["observed_cinergy_ratio"], 48.0 / 120, "observed ratio")
        Self.close(share["configured_cinergy_ratio"], 0.5, "configured ratio")
        #expect(share["configured_cinergy_ratio_source"] as? String == "CINERGY_RATIO")
        Self.close(share["configured_cinergy_ratio_over_window"], 0.5, "configured ratio over the window")
        let vms = try #require(share["vms"] as? [[String: Any]])
        let a = try #require(vms.first { $0["vm"] as? String == "a" })
        let b = try #require(vms.first { $0["vm"] as? String == "b" })
        Self.close(a["attributed_static_power_watts"], 20, "a static")
        Self.close(a["attributed_dynamic_power_watts"], 12, "a dynamic")
        Self.close(a["attributed_power_watts"], 32, "a")
        Self.close(a["model_dynamic_power_watts"], 42, "a model dynamic")
        Self.close(a["observed_cinergy_ratio"], 36.0 / 84, "a observed")
        Self.close(b["attributed_dynamic_power_watts"], 4, "b dynamic")
        Self.close(b["model_dynamic_power_watts"], 18, "b model dynamic")
        Self.close(b["observed_cinergy_ratio"], 12.0 / 36, "b observed")
        // The dynamic share splits as the CPU times do (60 : 20).
        let ratio = try #require(a["attributed_dynamic_power_watts"] as? Double) / (try #require(b["attributed_dynamic_power_watts"] as? Double))
        #expect(abs(ratio - 3) < 1e-9)
    }

    @Test("GET /power and /metrics: the attributed figures beside the isolated ones, named apart")
    func powerAndMetrics() async throws {
        let bodies = try await Self.get(["/power?vm=a", "/metrics"], meter: .rapl, readings: [120])
        let power = try Self.json(bodies[0])
        // Isolated: 80 × 2 / 8 + 0.5 × 42 W; attributed: 20 + 24 W.
        Self.close(power["total_power_watts"], 20 + 21, "isolated")
        Self.close(power["attributed_power_watts"], 44, "attributed")
        Self.close(power["attributed_static_power_watts"], 20, "attributed static")
        Self.close(power["attributed_dynamic_power_watts"], 24, "attributed dynamic")
        let metrics = bodies[1]
        Self.close(Self.value(of: "cinergy_vm_power_watts{vm=\"a\",uuid=\"u-a\"}", in: metrics), 41, "isolated series")
        Self.close(Self.value(of: "cinergy_vm_attributed_power_watts{vm=\"a\",uuid=\"u-a\"}", in: metrics), 44, "a's series")
        Self.close(Self.value(of: "cinergy_vm_attributed_power_watts{vm=\"b\",uuid=\"u-b\"}", in: metrics), 28, "b's series")
        Self.close(Self.value(of: "cinergy_host_vms_attributed_power_watts", in: metrics), 72, "VMs' series")
        Self.close(Self.value(of: "cinergy_host_own_power_watts", in: metrics), 48, "host own series")
        Self.close(Self.value(of: "cinergy_host_observed_cinergy_ratio", in: metrics), 32.0 / 60, "observed ratio series")
        // Each HELP says which figure it is.
        #expect(metrics.contains("# HELP cinergy_vm_power_watts Isolated power"))
        #expect(metrics.contains("# HELP cinergy_vm_attributed_power_watts Attributed power"))
    }

    @Test("before the meter's first reading: /power's attributed fields are null, /host's attribution null")
    func beforeFirstReading() async throws {
        let bodies = try await Self.get(["/power?vm=a", "/host", "/metrics"], meter: .rapl, readings: [])
        let power = try Self.json(bodies[0])
        for field in ["attributed_power_watts", "attributed_static_power_watts", "attributed_dynamic_power_watts"] {
            #expect(power.keys.contains(field) && power[field] is NSNull, "\(field): \(String(describing: power[field]))")
        }
        let meter = try #require(try Self.json(bodies[1])["meter"] as? [String: Any])
        #expect(meter["attribution"] is NSNull)
        #expect(Self.series(in: bodies[2]).filter { $0.contains("attributed") }.isEmpty)
    }

    @Test("HOST_METER=none: no attributed field in /power, no meter in /host, no attributed or observed series in /metrics")
    func withoutMeter() async throws {
        // The monitor holds readings all the same: without a meter configured the routes never show them.
        let bodies = try await Self.get(["/power?vm=a", "/host", "/metrics"], meter: .none, readings: [120])
        let power = try Self.json(bodies[0])
        #expect(power.keys.filter { $0.contains("attributed") }.isEmpty, "\(power.keys.sorted())")
        Self.close(power["total_power_watts"], 41, "isolated")
        #expect(try Self.json(bodies[1])["meter"] is NSNull)
        let series = Self.series(in: bodies[2])
        #expect(series.filter { $0.contains("attributed") || $0.contains("observed") }.isEmpty, "\(series)")
        #expect(!series.contains { $0.hasPrefix("cinergy_host_power_watts") })
        #expect(series.contains { $0.hasPrefix("cinergy_vm_power_watts{vm=\"a\"") })
    }
}
