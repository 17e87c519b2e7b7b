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

    /// The model is the stand-in's curve × 0.8, so it predicts 20 % less than the meter measures:
    /// the reported error must be that, not merely small. Then the stand-in's curve is scaled to
    /// the model's (× 0.8) and the error must fall to near 0.
    @Test("GET /host: a model 20 % below the meter reads −20 % and drifts; the meter scaled to the model reads ≈ 0 % and recovers")
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
                // The agent's model is the stand-in's curve × 0.8, over host load.
                "REG_COEFF": "32,0.72,-0.0016", "MODEL_INPUT": "host_percent", "SERVER_CORES": "2",
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
        // A full window of readings (12 s at one per 2 s).
        try await agent.waitFor("six meter readings in /host", seconds: 90) {
            ((await host())["meter"] as? [String: Any])?["readings_in_window"] as? Int ?? 0 >= 6
        }
        let first = await host()
        let reading = try #require(first["meter"] as? [String: Any])
        #expect(reading["kind"] as? String == "rapl")
        #expect((reading["measures"] as? String)?.contains("package") == true)
        let measured = try #require(reading["power_watts"] as? Double)
        let load = try #require(reading["host_cpu_usage"] as? Double)
        let expected = StandInMeter.watts(atLoad: load)
        #expect(abs(measured - expected) / expected < 0.08, "measured \(measured) W at \(load) %, the stand-in's curve says \(expected) W")
        // The model is 20 % below the meter: 20 % mean absolute error over the window, both sides
        // bounded (the stand-in's ±0.5 W noise and the curve's bend over the load's ups and downs
        // within a reading move it by a point or two). One reading scatters more, as the check
        // after the meter is scaled allows (its 100 ms loads against the agent's interval on a busy
        // machine: −15.7 % was seen in a CI run): −20 % within 8 points.
        let now = try #require(reading["model_error_percent"] as? Double)
        #expect(now > -28 && now < -12, "model error \(now) %, expected −20 %")
        let meanError = try #require(reading["mean_absolute_percent_error"] as? Double)
        #expect(meanError > 16 && meanError < 24, "mean absolute error \(meanError) %, expected 20 %")
        #expect(first["model_power_watts"] is Double)
        #expect((first["vms_isolated_power_watts"] as? Double ?? -1) >= 0)
        try await agent.waitFor("the model flagged as drifting in /health", seconds: 60) {
            await model()["drifting"] as? Bool == true
        }
        #expect((await model()["advice"] as? String)?.contains("cinergy calibrate") == true)
        let metrics = try await agent.getText("/metrics").body
        #expect(metrics.contains("cinergy_host_power_watts{meter=\"rapl\"}"))
        #expect(metrics.contains("cinergy_host_energy_joules_total{meter=\"rapl\"}"))
        #expect(metrics.contains("cinergy_host_model_drifting 1"))
        #expect(metrics.contains("cinergy_host_cpu_usage_ratio "))

        // The host now draws what the model says (the stand-in's curve × 0.8): the error falls to
        // about 0 once the window holds only such readings, and the drift clears.
        try "0.8\n".write(toFile: scaleFile, atomically: true, encoding: .utf8)
        try await agent.waitFor("the drift cleared in /health", seconds: 90) {
            await model()["drifting"] as? Bool == false
        }
        try await agent.waitFor("a window of matching readings", seconds: 60) {
            ((await host())["meter"] as? [String: Any])?["mean_absolute_percent_error"] as? Double ?? 100 < 4
        }
        let matched = try #require((await host())["meter"] as? [String: Any])
        let after = try #require(matched["model_error_percent"] as? Double)
        // One reading scatters more than the window's mean (the stand-in's ±0.5 W on 32 to 88 W, and
        // its 100 ms loads against the agent's interval on a busy machine).
        #expect(abs(after) < 8, "model error \(after) %, expected ≈ 0 %")
        #expect(try await agent.getText("/metrics").body.contains("cinergy_host_model_drifting 0"))
        let log = agent.log
        #expect(log.components(separatedBy: "the power model is drifting").count - 1 == 1, "logged once:\n\(log)")
        #expect(log.components(separatedBy: "matches the host's meter again").count - 1 == 1)
    }

    /// Three stand-in VMs of known CPU use (two spinning a CPU each, one idle, one vCPU each on a
    /// 2-CPU host) and a stand-in meter following the known curve of the real load: the metered
    /// shares add up to the meter, the idle power splits by vCPUs, and the power above idle goes
    /// to the VMs that use the CPU, split as their CPU times.
    @Test("the metered share: VMs + host own = measured; static by vCPUs; dynamic to the VM that spins; the observed ratio")
    func meteredShare() async throws {
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let energyFile = try StandInMeter.makeRAPLTree(at: sysfs)
        let meter = try ChildProcess(
            "\(EndToEnd.prefix)-meter", executable: try StandInMeter.build(in: directory.path),
            arguments: ["rapl", energyFile, String(StandInMeter.maxEnergyRangeMicrojoules)]
        )
        defer { meter.signal(SIGKILL) }
        let busyName = "\(EndToEnd.prefix)-share-busy"
        let idleName = "\(EndToEnd.prefix)-share-idle"
        let busy = try Self.spinner(in: directory.path, name: busyName)
        defer { busy.signal(SIGKILL) }
        let secondName = "\(EndToEnd.prefix)-share-busy2"
        let second = try Self.spinner(in: directory.path, name: secondName)
        defer { second.signal(SIGKILL) }
        let idle = try ChildProcess(
            idleName, executable: try StandIn.build(in: directory.path),
            arguments: ["-name", "guest=\(idleName),debug-threads=on", "-smp", "1", "-m", "64", "-display", "none", "-nodefaults"],
            environment: ["CINERGY_STANDIN_IDLE": "1"]
        )
        defer { idle.signal(SIGKILL) }
        let agent = try AgentUnderTest(
            env: EndToEnd.env.merging([
                "REG_COEFF": "40,0.9,-0.002", "MODEL_INPUT": "host_percent", "SERVER_CORES": "2",
                "HOST_METER": "rapl", "SYSFS_ROOT": sysfs, "SAMPLE_INTERVAL": "2", "MODEL_DRIFT_WINDOW": "30",
                "STATE_DIRECTORY": directory.path + "/state", "LEDGER_FLUSH_SECONDS": "1",
            ]) { $1 },
            directory: directory.path
        )
        defer { agent.child.signal(SIGKILL) }

        func attribution() async -> [String: Any] {
            guard let (status, json) = try? await agent.get("/host"), status == 200,
                let meter = (json as? [String: Any])?["meter"] as? [String: Any]
            else { return [:] }
            return meter["attribution"] as? [String: Any] ?? [:]
        }
        func vm(_ name: String, in attribution: [String: Any]) -> [String: Any]? {
            (attribution["vms"] as? [[String: Any]])?.first { $0["vm"] as? String == name }
        }
        var share: [String: Any] = [:]
        try await agent.waitFor("the three stand-in VMs in /host's attribution, the spinners busy", seconds: 90) {
            share = await attribution()
            return vm(idleName, in: share) != nil && (vm(busyName, in: share)?["cpu_usage"] as? Double ?? 0) > 5
                && (vm(secondName, in: share)?["cpu_usage"] as? Double ?? 0) > 5
        }
        // From here on every meter reading attributes to both VMs: the minutes from now are metered.
        let meteredFrom = Date().timeIntervalSince1970.rounded(.up)
        let measured = try #require(share["measured_power_watts"] as? Double)
        let idleWatts = try #require(share["idle_power_watts"] as? Double)
        let vmsWatts = try #require(share["vms_attributed_power_watts"] as? Double)
        let hostOwn = try #require(share["host_own_power_watts"] as? Double)
        let sum = try #require(share["sum_watts"] as? Double)
        // The shares add up to the meter.
        #expect(abs(vmsWatts + hostOwn - measured) < 1e-6 * measured, "\(vmsWatts) + \(hostOwn) ≠ \(measured)")
        #expect(abs(sum - measured) < 1e-6 * measured)
        #expect(measured > 40 && measured < 115, "the stand-in's curve spans 40 to 110 W: \(measured)")
        #expect(idleWatts == 40, "f(0) of the model")
        let busyShare = try #require(vm(busyName, in: share))
        let idleShare = try #require(vm(idleName, in: share))
        // Static: each VM has 1 vCPU; the idle power is shared by vCPUs over the host's 2 CPUs, or
        // over all the VMs' vCPUs when they are more (other stand-ins of a shared test machine).
        let allVCPUs = try await agent.get("/vms").1 as? [[String: Any]] ?? []
        let vcpus = max(2.0, Double(allVCPUs.reduce(0) { $0 + ($1["vcpus"] as? Int ?? 0) }))
        let staticEach = try #require(busyShare["attributed_static_power_watts"] as? Double)
        #expect(idleShare["attributed_static_power_watts"] as? Double == staticEach)
        #expect(abs(staticEach - 40 / vcpus) < 1e-9 || allVCPUs.count != (share["vms"] as? [Any])?.count, "\(staticEach) W, \(vcpus) vCPUs")
        // Dynamic: the idle stand-in uses no CPU, so (almost) none of the power above idle; the
        // spinner its CPU time's share of all the host's busy time: at least its CPU over every
        // CPU of the host (a host kept fully busy by other work besides), at most all of it.
        let pool = measured - idleWatts
        let cpus = Double(ProcessInfo.processInfo.activeProcessorCount)
        let idleDynamic = try #require(idleShare["attributed_dynamic_power_watts"] as? Double)
        let busyDynamic = try #require(busyShare["attributed_dynamic_power_watts"] as? Double)
        let busyCPU = try #require(busyShare["cpu_usage"] as? Double)
        let idleCPU = try #require(idleShare["cpu_usage"] as? Double)
        #expect(idleDynamic >= 0 && idleDynamic <= 0.03 * pool, "idle stand-in: \(idleDynamic) W of \(pool) W")
        #expect(
            busyDynamic >= pool * busyCPU / (100 * cpus) * 0.999 && busyDynamic <= pool * 1.000001,
            "spinner at \(busyCPU) % of a CPU: \(busyDynamic) W of \(pool) W")
        // Split as the CPU times: between the VMs, in proportion to their CPU use (the two spinners
        // always, the idle one when it used any), and the spinners together never more than the pool.
        let secondShare = try #require(vm(secondName, in: share))
        let secondDynamic = try #require(secondShare["attributed_dynamic_power_watts"] as? Double)
        let secondCPU = try #require(secondShare["cpu_usage"] as? Double)
        #expect(abs(secondDynamic / busyDynamic - secondCPU / busyCPU) < 1e-6, "\(secondDynamic) / \(busyDynamic) W, \(secondCPU) / \(busyCPU) %")
        #expect(busyDynamic + secondDynamic <= pool * 1.000001)
        if idleCPU > 0 {
            #expect(abs(idleDynamic / busyDynamic - idleCPU / busyCPU) < 1e-6)
        }
        // The observed ratio beside the configured one (CINERGY_RATIO 0.75 in the test settings).
        // The model is the meter's own curve, g(h) = f(h) − f(0) = 0.9 h − 0.002 h² over the host
        // load h in percent of 2 CPUs. The spinner at c % of a CPU, the host busy B % of a CPU
        // (c ≤ B ≤ 200), is attributed g(B/2) × c / B and isolated g(c/2): a ratio of
        // (0.9 − 0.001 B) / (0.9 − 0.001 c), which lies in [0.7 / 0.9, 1] = [0.78, 1] whatever the
        // other work on the machine (and so does any VM's, and all of theirs); bounded here with room for the meter's noise and for its load
        // window not being the sampling round's.
        let observed = try #require(share["observed_cinergy_ratio"] as? Double)
        #expect(observed > 0.65 && observed < 1.15, "observed ratio \(observed), all VMs (each of them 0.78 to 1)")
        let busyObserved = try #require(busyShare["observed_cinergy_ratio"] as? Double)
        #expect(busyObserved > 0.7 && busyObserved < 1.1, "the spinner's observed ratio \(busyObserved), expected 0.78 to 1")
        print("metered share: observed cinergy ratio \(busyObserved) for the spinner, \(observed) for all VMs (configured 0.75)")
        #expect(share["configured_cinergy_ratio"] as? Double == 0.75)
        #expect(share["configured_cinergy_ratio_source"] as? String == "CINERGY_RATIO")
        #expect(share["configured_cinergy_ratio_over_window"] as? Double == 0.75)
        // /power carries the VM's attributed figures beside its isolated ones.
        let (status, json) = try await agent.get("/power?vm=\(busyName)")
        #expect(status == 200)
        let power = try #require(json as? [String: Any])
        #expect((power["attributed_power_watts"] as? Double ?? 0) >= staticEach * 0.999)
        #expect((power["attributed_static_power_watts"] as? Double ?? 0) > 0)
        #expect(power["total_power_watts"] is Double)
        let metrics = try await agent.getText("/metrics").body
        #expect(metrics.contains("cinergy_vm_attributed_power_watts{vm=\"\(busyName)\""))
        #expect(metrics.contains("cinergy_host_own_power_watts "))
        #expect(metrics.contains("cinergy_host_observed_cinergy_ratio "))
        // The ledger keeps each VM's attributed energy beside its isolated energy: at least the
        // busy VM's static share of the idle power over a couple of meter intervals.
        let database = directory.path + "/state/ledger.sqlite"
        var attributed: Double?
        try await agent.waitFor("the busy VM's attributed joules in the ledger", seconds: 60) {
            attributed = try? LedgerFixture.storedAttributedJoules(database, name: busyName)
            return (attributed ?? 0) > staticEach * 2
        }
        print("metered share: \(attributed ?? 0) J attributed to \(busyName) in the ledger")
        // /report gives it beside the isolated energy, over at least 30 s since the meter covered the
        // VM, ending 20 s before asking (the meter has read, and the ledger flushed, the minute
        // that ends the period: a bucket without its share would make the figure null).
        var row: [String: Any] = [:]
        var seconds = 0.0
        try await agent.waitFor("the busy VM's attributed joules in /report", seconds: 120) {
            let to = Date().timeIntervalSince1970.rounded(.down) - 20
            guard to - meteredFrom >= 30 else { return false }
            let format = ISO8601DateFormatter()
            let period = "from=\(format.string(from: Date(timeIntervalSince1970: meteredFrom)))&to=\(format.string(from: Date(timeIntervalSince1970: to)))"
            guard let (status, json) = try? await agent.get("/report?\(period)"), status == 200,
                let found = ((json as? [String: Any])?["rows"] as? [[String: Any]])?.first(where: { $0["vm"] as? String == busyName })
            else { return false }
            row = found
            seconds = to - meteredFrom
            return true
        }
        let reported = try #require(row["attributed_joules"] as? Double, "\(row)")
        let isolated = try #require(row["energy_joules"] as? Double)
        // At least half its static share over the period (other stand-ins of a shared machine may
        // come and take some), at most the stand-in's whole curve (110 W and its noise).
        #expect(reported >= 0.5 * staticEach * seconds && reported <= 111 * seconds * 1.1, "\(reported) J over \(seconds) s")
        #expect(isolated > 0)
        print("metered share: /report over \(seconds) s: \(reported) J attributed to \(busyName), \(isolated) J isolated")
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
        let metrics = try await plain.getText("/metrics").body
        let series = metrics.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(!series.contains { $0.contains("attributed") || $0.contains("observed") }, "no metered share without a meter")
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
