import CinergyTestSupport
import Foundation
import Testing

/// Item 2 of the benchmarks: requests per second and p50/p99 latency of `GET /power?vm=` and
/// `GET /vms` with 100 VMs, under `wrk` on loopback, against nginx serving the very same bodies as
/// static files with the same wrk settings, in the same run. A measurement, not a test (see
/// docs/BENCHMARKS.md).
@Suite("Benchmark: HTTP throughput and latency", .serialized)
struct HTTPThroughputBenchmark {
    static let threads = 2
    static let connections = 64

    struct Series {
        var rps: [Double] = []
        var p50: [Double] = []
        var p99: [Double] = []

        mutating func add(_ result: Wrk.Result) {
            rps.append(result.requestsPerSecond)
            p50.append(result.p50Seconds)
            p99.append(result.p99Seconds)
        }

        var text: String {
            "req/s \(Bench.list(rps, 0)), p50 ms \(Bench.list(p50.map { $0 * 1e3 }, 2)), p99 ms \(Bench.list(p99.map { $0 * 1e3 }, 2))"
        }
    }

    @Test("wrk against the agent (100 VMs) and nginx with the same bodies")
    func agentVersusNginx() async throws {
        let directory = try TemporaryDirectory()
        let fleet = try StandInFleet(count: 100, label: "h-", directory: directory.path)
        let env = Bench.agentEnv.merging(["LIBVIRT_URI": "none", "PROCFS_DISCOVERY": "true"]) { $1 }
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitForVMs(prefix: fleet.namePrefix, count: 100)

        let paths = ["/power?vm=\(fleet.name(42))", "/vms"]
        var bodies: [String: [UInt8]] = [:]
        for path in paths {
            let response = try HTTPProbe.get(port: agent.port, path: path)
            guard response.status == 200 else { throw TestFailure("GET \(path) answered \(response.status): \(response.text)") }
            bodies[String(path.prefix { $0 != "?" })] = response.body
        }
        let nginx = try Nginx(files: bodies, directory: directory.path)
        for path in paths {
            try await nginx.waitUntilServing(path)
            let served = try HTTPProbe.get(port: nginx.port, path: path)
            guard served.body == bodies[String(path.prefix { $0 != "?" })] else { throw TestFailure("nginx does not serve the agent's body of \(path)") }
        }

        // Warm both up, then alternate the servers run after run, so that drift in the machine's
        // load (other builds on its two cores) falls on both alike.
        let servers = [("agent", agent.port), ("nginx", nginx.port)]
        for (_, port) in servers {
            for path in paths {
                _ = try await Wrk.run(url: "http://127.0.0.1:\(port)\(path)", threads: Self.threads, connections: Self.connections, seconds: 2, directory: directory.path)
            }
        }
        var series: [String: Series] = [:]
        var errors = 0
        let agentCPUBefore = try agent.meter.read()
        for _ in 0..<Bench.runs {
            for path in paths {
                for (server, port) in servers {
                    let result = try await Wrk.run(
                        url: "http://127.0.0.1:\(port)\(path)", threads: Self.threads, connections: Self.connections,
                        seconds: Bench.wrkSeconds, directory: directory.path
                    )
                    errors += result.errors
                    series["\(server) \(path)", default: Series()].add(result)
                }
            }
        }
        let agentCPU = try agent.meter.since(agentCPUBefore)
        guard errors == 0 else { throw TestFailure("wrk saw \(errors) errors or non-2xx answers") }

        var rows: [Bench.Row] = []
        var details = "wrk -t\(Self.threads) -c\(Self.connections) -d\(Bench.wrkSeconds)s --latency, \(Bench.runs) runs each, 100 idle stand-ins; bodies: "
        details += paths.map { "\($0) \(bodies[String($0.prefix { $0 != "?" })]?.count ?? 0) bytes" }.joined(separator: ", ") + "\n"
        for path in paths {
            let ours = series["agent \(path)"] ?? Series()
            let theirs = series["nginx \(path)"] ?? Series()
            let rpsRatio = Bench.median(ours.rps) / Bench.median(theirs.rps)
            let p99Ratio = Bench.median(ours.p99) / Bench.median(theirs.p99)
            let label = path.hasPrefix("/power") ? "GET /power?vm=" : "GET /vms"
            rows.append(
                Bench.Row(
                    "HTTP \(label), 64 conns: agent req/s (nginx)",
                    "\(Bench.format(Bench.median(ours.rps), 0)) (\(Bench.format(Bench.median(theirs.rps), 0))), ratio \(Bench.format(rpsRatio, 2))",
                    target: ">= 0.5 x nginx", met: rpsRatio >= 0.5
                )
            )
            rows.append(
                Bench.Row(
                    "HTTP \(label), 64 conns: agent p50 / p99 (nginx)",
                    "\(Bench.format(Bench.median(ours.p50) * 1e3, 2)) / \(Bench.format(Bench.median(ours.p99) * 1e3, 2)) ms "
                        + "(\(Bench.format(Bench.median(theirs.p50) * 1e3, 2)) / \(Bench.format(Bench.median(theirs.p99) * 1e3, 2)) ms), p99 ratio \(Bench.format(p99Ratio, 2))",
                    target: "p99 <= 2 x nginx", met: p99Ratio <= 2
                )
            )
            details += "agent \(path): \(ours.text)\nnginx \(path): \(theirs.text)\n"
        }
        details += "agent CPU over all measured runs: \(Bench.format(agentCPU.userSystemSeconds, 1)) s in \(Bench.format(agentCPU.elapsedSeconds, 1)) s; agent RSS after: \(Bench.format(Double(agent.meter.residentBytes() ?? 0) / 1e6)) MB; load after: \(ProcessMeter.loadAverage())\n"
        try Bench.record("2-http", rows: rows, details: details)
        try await agent.stop()
    }
}
