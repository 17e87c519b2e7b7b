import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The whole carbon footprint with the real binary (issue 19): embodied carbon in `/carbon`,
/// `/host` and `/metrics`, and a WattTime file as `EMISSION_FACTOR_FILE`, replaced by a file of
/// neither format (a warning naming it; the last good table stays).
@Suite("End to end: embodied carbon and a provider's grid file", .serialized)
struct FootprintEndToEndTests {
    @Test("embodied rate TE / EL x share and the total in /carbon; the embodied counter grows; a WattTime file in force, then a bad file kept out")
    func footprint() async throws {
        let directory = try TemporaryDirectory()
        let name = "\(EndToEnd.prefix)-footprint"
        let standIn = try ChildProcess(
            name, executable: try StandIn.build(in: directory.path),
            arguments: ["-name", "guest=\(name),debug-threads=on", "-smp", "2", "-accel", "tcg", "-display", "none"],
            environment: ["CINERGY_STANDIN_IDLE": "1"]
        )
        defer { standIn.signal(SIGKILL) }
        // WattTime's historical data, 5-minute points around now: 1,000 lbs/MWh in force now.
        let now = Date().timeIntervalSince1970
        let formatter = ISO8601DateFormatter()
        let points = [-600.0, -300, 0].map { offset in
            "{\"point_time\": \"\(formatter.string(from: Date(timeIntervalSince1970: (now / 300).rounded(.down) * 300 + offset)))\", \"value\": 1000.0}"
        }
        let gridFile = directory.path + "/grid.json"
        try """
        {"data": [\(points.joined(separator: ", "))],
         "meta": {"data_point_period_seconds": 300, "region": "CAISO_NORTH", "warnings": [], "signal_type": "co2_aoer",
                  "model": {"date": "2023-03-01", "type": "binned_regression"}, "units": "lbs_co2_per_mwh"}}
        """.write(toFile: gridFile, atomically: true, encoding: .utf8)

        var env = EndToEnd.env
        // 876.6 kgCO2eq over 1 year: 100 g/h for the server; the stand-in's share 2 / 16.
        env["SERVER_EMBODIED_EMISSIONS"] = "876.6"
        env["SERVER_LIFETIME"] = "1"
        env["EMISSION_FACTOR_FILE"] = gridFile
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        defer { agent.child.signal(SIGTERM) }
        try await agent.waitFor("the stand-in with a usage in /vms") {
            await agent.vms().contains { $0["name"] as? String == name && $0["cpu_usage"] is Double }
        }
        try await agent.waitFor("the WattTime factor in /carbon") {
            let carbon = try? await agent.get("/carbon?vm=\(name)").json as? [String: Any]
            return carbon?["emission_factor_provider"] as? String == "watttime"
        }
        let carbon = try #require(try await agent.get("/carbon?vm=\(name)").json as? [String: Any])
        #expect(carbon["static_share"] as? Double == 0.125)
        #expect(abs((carbon["emission_factor_gco2_per_kwh"] as? Double ?? 0) - 453.59237) < 1e-9)
        #expect(carbon["emission_factor_zone"] as? String == "CAISO_NORTH")
        #expect(carbon["emission_factor_signal"] as? String == "co2_aoer")
        #expect(carbon["emission_factor_estimated"] is NSNull)
        let embodiedRate = try #require(carbon["embodied_carbon_gco2_per_hour"] as? Double)
        #expect(abs(embodiedRate - 12.5) < 1e-9)
        let operational = try #require(carbon["carbon_intensity_gco2_per_hour"] as? Double)
        #expect(abs((carbon["total_carbon_gco2_per_hour"] as? Double ?? 0) - (operational + 12.5)) < 1e-9)

        let host = try #require(try await agent.get("/host").json as? [String: Any])
        let running = try #require(host["running_vcpus"] as? Int)
        #expect(running >= 2)
        #expect(abs((host["static_share_sum"] as? Double ?? 0) - Double(running) / 16) < 1e-9)

        // The embodied counter grows at 12.5 g/h: 2 s of it is about 0.0069 g.
        func counter() async -> Double? {
            guard let (_, text) = try? await agent.getText("/metrics") else { return nil }
            let prefix = "cinergy_vm_embodied_carbon_grams_total{vm=\"\(name)\""
            return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        let first = try #require(await counter())
        try await agent.waitFor("the embodied counter to grow by 2 s worth") {
            (await counter() ?? 0) >= first + 12.5 / 3600 * 2 * 0.99
        }

        // A file of neither format: a warning naming it; the WattTime table stays in force.
        try "{\"error\": \"rate limited\"}".write(toFile: gridFile, atomically: true, encoding: .utf8)
        try await agent.waitFor("the warning naming the file") { agent.log.contains("EMISSION_FACTOR_FILE \(gridFile): JSON, but neither") }
        let after = try #require(try await agent.get("/carbon?vm=\(name)").json as? [String: Any])
        #expect(abs((after["emission_factor_gco2_per_kwh"] as? Double ?? 0) - 453.59237) < 1e-9)
        #expect(after["emission_factor_provider"] as? String == "watttime")

        agent.child.signal(SIGTERM)
        #expect(await agent.child.waitForExit(seconds: 20) == 0, "agent log:\n\(agent.log)")
    }
}
