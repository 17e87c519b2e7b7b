import CinergyTestSupport
import Foundation
import Testing

/// The host beside the model, the real binary: a stand-in meter process turns the machine's real
/// `/proc/stat` load into RAPL energy along a known curve in a fixture sysfs tree laid out like the
/// kernel's; the agent reads it as its host meter, compares it with its model, and flags the model
/// as drifting when the stand-in's curve is changed, and clears it when the curve returns. And the
/// load-aware cinergy ratio, evaluated at the host load the agent reports while a spinning
/// stand-in QEMU loads the host.
@Suite("End to end: the host's meter beside the model, and the load-aware ratio", .serialized)
struct HostEndToEndTests {
    static func spinner(in directory: String, name: String) throws -> ChildProcess {
        try ChildProcess(
            name,
            executable: try StandIn.build(in: directory),
            arguments: ["-name", "guest=\(name),debug-threads=on", "-smp", "1", "-m", "64", "-display", "none", "-nodefaults"]
        )
    }

    @Test("GET /host: measured watts follow the stand-in's curve; drift is flagged when it changes and cleared when it returns")
    func hostMeterAndDrift() async throws {
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let energyFile = try StandInMeter.makeRAPLTree(at: sysfs)
        let scaleFile = directory.path + "/scale"
        try "1\n".write(toFile: scaleFile, atomically: true, encoding: .utf8)
        let meter = try ChildProcess(
            "\(EndToEnd.prefix)-meter", executable: try StandInMeter.build(in: directory.path),
            arguments: ["rapl", energyFile, String(StandInMeter.maxEnergyRangeMicrojoules), scaleFile]
        )
        defer { meter.signal(SIGKILL) }
        let spinner = try Self.spinner(in: directory.path, name: "\(EndToEnd.prefix)-hostload")
        defer { spinner.signal(SIGKILL) }
        let agent = try AgentUnderTest(
            env: EndToEnd.env.merging([
                // The agent's model is the stand-in's curve, over host load.
                "REG_COEFF": "40,0.9,-0.002", "MODEL_INPUT": "host_percent", "SERVER_CORES": "2",
                "HOST_METER": "rapl", "SYSFS_ROOT": sysfs, "SAMPLE_INTERVAL": "2",
                "MODEL_DRIFT_PERCENT": "15", "MODEL_DRIFT_WINDOW": "12",
            ]) { $1 },
            directory: directory.path
        )
        defer { agent.child.signal(SIGKILL) }

        func host() async -> [String: Any] {
            guard let (status, json) = try? await agent.get("/host"), status == 200 else { return [:] }
            return json as? [String: Any] ?? [:]
        }
        func model() async -> [String: Any] {
            guard let (status, json) = try? await agent.get("/health"), status == 200 else { return [:] }
            return (json as? [String: Any])?["model"] as? [String: Any] ?? [:]
        }
        // Readings arrive, and the model matches the stand-in within a few percent.
        try await agent.waitFor("five meter readings in /host", seconds: 90) {
            ((await host())["meter"] as? [String: Any])?["readings_in_window"] as? Int ?? 0 >= 5
        }
        let matched = await host()
        let reading = try #require(matched["meter"] as? [String: Any])
        #expect(reading["kind"] as? String == "rapl")
        #expect((reading["measures"] as? String)?.contains("package") == true)
        let measured = try #require(reading["power_watts"] as? Double)
        let load = try #require(reading["host_cpu_usage"] as? Double)
        let expected = StandInMeter.watts(atLoad: load)
        #expect(abs(measured - expected) / expected < 0.08, "measured \(measured) W at \(load) %, the stand-in's curve says \(expected) W")
        let meanError = try #require(reading["mean_absolute_percent_error"] as? Double)
        #expect(meanError < 5, "the model is the stand-in's curve: \(meanError) % mean error")
        #expect(reading["drifting"] as? Bool == false)
        #expect(matched["model_power_watts"] is Double)
        #expect((matched["vms_isolated_power_watts"] as? Double ?? -1) >= 0)
        #expect(await model()["drifting"] as? Bool == false)
        let metrics = try await agent.getText("/metrics").body
        #expect(metrics.contains("cinergy_host_power_watts{meter=\"rapl\"}"))
        #expect(metrics.contains("cinergy_host_energy_joules_total{meter=\"rapl\"}"))
        #expect(metrics.contains("cinergy_host_model_drifting 0"))
        #expect(metrics.contains("cinergy_host_cpu_usage_ratio "))

        // The host now draws 60 % more than the model says: drift is flagged, and said once.
        try "1.6\n".write(toFile: scaleFile, atomically: true, encoding: .utf8)
        try await agent.waitFor("the model flagged as drifting in /health", seconds: 90) {
            await model()["drifting"] as? Bool == true
        }
        #expect((await model()["advice"] as? String)?.contains("cinergy calibrate") == true)
        #expect(try await agent.getText("/metrics").body.contains("cinergy_host_model_drifting 1"))
        // And back: cleared once the window holds matching readings again.
        try "1\n".write(toFile: scaleFile, atomically: true, encoding: .utf8)
        try await agent.waitFor("the drift cleared in /health", seconds: 90) {
            await model()["drifting"] as? Bool == false
        }
        let log = agent.log
        #expect(log.components(separatedBy: "the power model is drifting").count - 1 == 1, "logged once:\n\(log)")
        #expect(log.components(separatedBy: "matches the host's meter again").count - 1 == 1)
    }

    @Test("GET /host without a meter: load and model, meter null; a missing meter never stops the agent")
    func hostWithoutMeter() async throws {
        let directory = try TemporaryDirectory()
        let agent = try AgentUnderTest(
            env: EndToEnd.env.merging(["HOST_METER": "rapl", "SYSFS_ROOT": directory.path]) { $1 }, directory: directory.path
        )
        defer { agent.child.signal(SIGKILL) }
        try await agent.waitFor("/host with the meter's error") {
            guard let (status, json) = try? await agent.get("/host"), status == 200,
                let meter = (json as? [String: Any])?["meter"] as? [String: Any]
            else { return false }
            return meter["available"] as? Bool == false && (meter["error"] as? String)?.contains("RAPL") == true
        }
        let plain = try AgentUnderTest(env: EndToEnd.env, directory: directory.path + "/")
        defer { plain.child.signal(SIGKILL) }
        try await plain.waitFor("/host with a host load") {
            guard let (status, json) = try? await plain.get("/host"), status == 200, let host = json as? [String: Any] else { return false }
            return host["host_cpu_usage"] is Double && host["meter"] is NSNull
        }
    }

    @Test("the load-aware ratio: /power's cinergy_ratio is r(host_cpu_usage) while a stand-in QEMU loads the host")
    func loadAwareRatio() async throws {
        let directory = try TemporaryDirectory()
        let name = "\(EndToEnd.prefix)-ratio"
        let spinner = try Self.spinner(in: directory.path, name: name)
        defer { spinner.signal(SIGKILL) }
        let coefficients = [0.6313, -0.01923, 2.558e-4, -1.19e-6]
        var env = EndToEnd.env.merging([
            "REG_COEFF": "11.24,6.380,-0.3478,0.009527,-0.0000982", "MODEL_INPUT": "host_percent", "MODEL_INPUT_MAX": "37.5",
            "CINERGY_RATIO_COEFF": coefficients.map { "\($0)" }.joined(separator: ","), "SERVER_CORES": "2",
        ]) { $1 }
        env["CINERGY_RATIO"] = nil
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        defer { agent.child.signal(SIGKILL) }
        var power: [String: Any] = [:]
        try await agent.waitFor("/power of the spinner with a host load", seconds: 60) {
            guard let (status, json) = try? await agent.get("/power?vm=\(name)"), status == 200, let body = json as? [String: Any],
                let load = body["host_cpu_usage"] as? Double, load > 5
            else { return false }
            power = body
            return true
        }
        let load = try #require(power["host_cpu_usage"] as? Double)
        let ratio = try #require(power["cinergy_ratio"] as? Double)
        let curve = coefficients.enumerated().reduce(0.0) { $0 + $1.element * pow(load, Double($1.offset)) }
        #expect(abs(ratio - min(1, max(0, curve))) < 1e-9, "ratio \(ratio) at host load \(load) %, r(h) = \(curve)")
        #expect(ratio < 0.6313, "a loaded host gets a smaller ratio than an idle one")
        #expect(power["extrapolated"] is Bool)
        #expect((power["dynamic_power_watts"] as? Double ?? -1) >= 0)
        // The paper's model turns down inside its fitted range: the start-up warning names where.
        #expect(agent.log.contains("decreases from host_percent 36.3"), "\(agent.log)")
    }

    @Test("CINERGY_RATIO and CINERGY_RATIO_COEFF together stop start-up with 78, naming both")
    func exclusiveRatio() async throws {
        let directory = try TemporaryDirectory()
        let agent = try AgentUnderTest(
            env: EndToEnd.env.merging(["CINERGY_RATIO_COEFF": "0.5,-0.001"]) { $1 }, directory: directory.path
        )
        let status = agent.child.waitUntilExit()
        #expect(status == 78)
        #expect(agent.log.contains("CINERGY_RATIO and CINERGY_RATIO_COEFF"), "\(agent.log)")
    }

    @Test("LOG_FORMAT=json: every line the agent writes is one JSON object, warnings included")
    func jsonLogs() async throws {
        let directory = try TemporaryDirectory()
        // A typo in the env file is a warning at start-up; the meter that cannot be found another.
        let agent = try AgentUnderTest(
            env: EndToEnd.env.merging(["LOG_FORMAT": "json", "CINERGY_RATIOO": "0.5", "HOST_METER": "hwmon", "SYSFS_ROOT": directory.path]) { $1 },
            directory: directory.path
        )
        defer { agent.child.signal(SIGKILL) }
        try await agent.waitFor("the meter's warning in the log") { agent.log.contains("host meter unavailable") }
        agent.child.signal(SIGTERM)
        _ = await agent.child.waitForExit(seconds: 30)
        let lines = agent.log.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["metadata"] is [String: Any], "\(line)")
        }
        #expect(lines.contains { $0.contains("CINERGY_RATIOO") && $0.contains("\"level\":\"warning\"") })
    }
}
