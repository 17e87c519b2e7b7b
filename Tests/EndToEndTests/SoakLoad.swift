import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The long load test of `make soak`: wrk on loopback against /power, /vms and /metrics at once
/// for CINERGY_SOAK_SECONDS (default 600) while libvirt domains churn. Reports requests, errors,
/// latency and the agent's memory over time; expects zero errors and flat memory.
@Suite("Soak: load while VMs churn", .serialized, .enabled(if: ProcessInfo.processInfo.environment["CINERGY_SOAK"] != nil))
struct SoakLoad {
    static let seconds = Int(ProcessInfo.processInfo.environment["CINERGY_SOAK_SECONDS"] ?? "") ?? 600

    struct WrkResult {
        var requests = 0
        var non2xx = 0
        var socketErrors = 0
        var latency: [String: String] = [:]
        var requestsPerSecond = ""
    }

    static func parse(_ output: String) -> WrkResult {
        var result = WrkResult()
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.contains("requests in"), let first = parts.first { result.requests = Int(first) ?? 0 }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let last = parts.last { result.non2xx = Int(last) ?? 0 }
            if line.hasPrefix("Socket errors:") {
                result.socketErrors = line.split(separator: ",").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
            }
            if ["50%", "90%", "99%"].contains(parts.first ?? ""), parts.count == 2 { result.latency[parts[0]] = parts[1] }
            if line.hasPrefix("Requests/sec:"), let last = parts.last { result.requestsPerSecond = last }
        }
        return result
    }

    @Test("wrk on /power, /vms and /metrics while domains churn: no errors, flat memory")
    func soak() async throws {
        let wrk = try #require(Kernel.which("wrk"), "wrk is not installed: run `make soak`")
        try #require(await Virsh.isUp(), "libvirtd is not running: run `make soak`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let standIn = try StandIn.build(in: directory.path)
        let stableName = "\(EndToEnd.prefix)-soak-stable"
        let stable = try ChildProcess(
            stableName, executable: standIn, arguments: ["-name", "guest=\(stableName)", "-smp", "2"],
            environment: ["CINERGY_STANDIN_IDLE": "1"]
        )
        var env = EndToEnd.libvirtEnv
        env["LOG_LEVEL"] = "warning"
        // The soak runs with the ledger on (issue 13); its database size is reported.
        env["STATE_DIRECTORY"] = directory.path + "/state"
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitFor("the stable VM with a usage") { await agent.vms().contains { $0["name"] as? String == stableName && $0["cpu_usage"] is Double } }

        // Churn in the background until the load ends.
        let path = directory.path
        let churn = Task {
            var cycles = 0
            while !Task.isCancelled {
                let domain = TestDomain(name: "\(EndToEnd.prefix)-soak-\(cycles)", spinning: false)
                janitor.track(domain)
                do {
                    try await domain.create(in: path)
                    try await Task.sleep(for: .milliseconds(500))
                } catch {}
                await domain.destroy()
                cycles += 1
            }
            return cycles
        }
        // Memory every 10 s.
        let pid = agent.child.pid
        let memory = Task {
            var samples: [(Double, Int)] = []
            let start = Date()
            while !Task.isCancelled {
                if let rss = ProcessResources.residentKiB(pid) { samples.append((Date().timeIntervalSince(start), rss)) }
                try? await Task.sleep(for: .seconds(10))
            }
            return samples
        }
        let base = "http://127.0.0.1:\(agent.port)"
        var runs: [(String, ChildProcess, String)] = []
        for (label, path) in [("/power", "/power?vm=\(stableName)"), ("/vms", "/vms"), ("/metrics", "/metrics")] {
            let log = directory.path + "/wrk-\(label.dropFirst()).log"
            let child = try ChildProcess(
                "wrk", executable: wrk, arguments: ["-t1", "-c8", "-d\(Self.seconds)s", "--latency", "--timeout", "5s", base + path], logFile: log
            )
            runs.append((label, child, log))
        }
        var report = "Soak: \(Self.seconds) s, wrk -t1 -c8 on each of /power, /vms, /metrics at once, libvirt domains churning\n"
        var totalErrors = 0
        for (label, child, log) in runs {
            _ = await child.waitForExit(seconds: Double(Self.seconds) + 120)
            let result = Self.parse((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            totalErrors += result.non2xx + result.socketErrors
            report += "  \(label): \(result.requests) requests, \(result.requestsPerSecond) req/s, non-2xx \(result.non2xx), socket errors \(result.socketErrors), "
                + "latency p50 \(result.latency["50%"] ?? "?") p90 \(result.latency["90%"] ?? "?") p99 \(result.latency["99%"] ?? "?")\n"
            #expect(result.requests > 0, "\(label) got no answers")
        }
        churn.cancel()
        memory.cancel()
        let cycles = await churn.value
        let samples = await memory.value
        let settled = samples.filter { $0.0 >= 60 }.map(\.1)
        let spread = (settled.max() ?? 0) - (settled.min() ?? 0)
        report += "  churn: \(cycles) domains created and destroyed during the load\n"
        report += "  agent RSS after the first minute: min \(settled.min() ?? 0) KiB, max \(settled.max() ?? 0) KiB (spread \(spread) KiB); "
            + "every 10 s: \(samples.map { String($0.1) }.joined(separator: " "))\n"
        let databaseBytes = ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: directory.path + "/state/ledger.sqlite" + suffix)[.size] as? Int) ?? 0)
        }
        let ledgerState = ((try? await agent.get("/health"))?.json as? [String: Any])?["ledger"] as? [String: Any]
        report += "  ledger: \(ledgerState?["state"] as? String ?? "?"), database \(databaseBytes) bytes (with its WAL)\n"
        print(report)
        if let output = ProcessInfo.processInfo.environment["CINERGY_SOAK_OUTPUT"] {
            try report.write(toFile: output, atomically: true, encoding: .utf8)
        }
        #expect(totalErrors == 0, "\(report)")
        #expect(spread < 8 * 1024, "memory should stay flat within a few MB:\n\(report)")
        #expect(agent.child.isRunning)
        _ = stable
    }
}
