import CinergyTestSupport
import Foundation
import Testing

/// Item 3 of the benchmarks: what a Prometheus scrape costs. `GET /metrics` with 1,000 stand-in
/// VMs (time, bytes, CPU), and on 10 real TCG domains our `/metrics` against
/// `prometheus-libvirt-exporter` scraping the same domains (latency, and CPU per scrape: the
/// exporter's and libvirtd's together). A measurement, not a test (see docs/BENCHMARKS.md).
@Suite("Benchmark: scrape cost", .serialized)
struct ScrapeCostBenchmark {
    /// The figures of one scraped server, one value per run.
    struct Figures {
        var latency: [Double] = []
        var bytes: [Double] = []
        /// CPU per scrape of the processes that serve it (less what they use when not scraped).
        var cpuPerScrape: [Double] = []
        /// The same from utime + stime (clock-tick resolution), as a cross-check.
        var cpuPerScrapeTicks: [Double] = []

        func text(_ label: String) -> String {
            "\(label): latency p50 ms \(Bench.list(latency.map { $0 * 1e3 }, 2)), bytes \(Bench.list(bytes, 0)), "
                + "CPU per scrape ms (schedstat) \(Bench.list(cpuPerScrape.map { $0 * 1e3 }, 2)), (utime+stime) \(Bench.list(cpuPerScrapeTicks.map { $0 * 1e3 }, 2))\n"
        }
    }

    /// Scrapes `path` on `port` `count` times in a row, per run; CPU is that of `meters`, less
    /// their idle use measured over 5 s beforehand.
    static func scrape(port: Int, path: String = "/metrics", count: Int, meters: [ProcessMeter]) async throws -> Figures {
        for _ in 0..<3 { _ = try HTTPProbe.get(port: port, path: path) }
        // Idle use of the same processes, to take out of the figures (sampling, libvirt refreshes).
        let idleBefore = try meters.map { try $0.read() }
        try await Task.sleep(for: .seconds(5))
        let idle = try zip(meters, idleBefore).map { try $0.since($1) }
        let idleOnCPURate = idle.map { $0.onCPUSeconds / $0.elapsedSeconds }.reduce(0, +)
        let idleTicksRate = idle.map { $0.userSystemSeconds / $0.elapsedSeconds }.reduce(0, +)

        var figures = Figures()
        for _ in 0..<Bench.runs {
            let before = try meters.map { try $0.read() }
            var latencies: [Double] = []
            var size = 0
            for _ in 0..<count {
                let response = try HTTPProbe.get(port: port, path: path)
                guard response.status == 200 else { throw TestFailure("GET \(path) on port \(port) answered \(response.status)") }
                latencies.append(response.seconds)
                size = response.body.count
            }
            let used = try zip(meters, before).map { try $0.since($1) }
            let elapsed = used.first?.elapsedSeconds ?? 0
            figures.latency.append(Bench.median(latencies))
            figures.bytes.append(Double(size))
            figures.cpuPerScrape.append((used.map(\.onCPUSeconds).reduce(0, +) - idleOnCPURate * elapsed) / Double(count))
            figures.cpuPerScrapeTicks.append((used.map(\.userSystemSeconds).reduce(0, +) - idleTicksRate * elapsed) / Double(count))
        }
        return figures
    }

    @Test("GET /metrics with 1,000 stand-in VMs")
    func thousandVMs() async throws {
        let directory = try TemporaryDirectory()
        let fleet = try StandInFleet(count: 1000, label: "m-", directory: directory.path)
        let env = Bench.agentEnv.merging(["LIBVIRT_URI": "none", "PROCFS_DISCOVERY": "true"]) { $1 }
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitForVMs(prefix: fleet.namePrefix, count: 1000)
        let figures = try await Self.scrape(port: agent.port, count: 20, meters: [agent.meter])
        try await agent.stop()
        let rows = [
            Bench.Row(
                "Scrape, GET /metrics, 1,000 VMs: latency, size, agent CPU",
                "\(Bench.format(Bench.median(figures.latency) * 1e3, 1)) ms, \(Bench.format(Bench.median(figures.bytes) / 1e3, 0)) kB, "
                    + "\(Bench.format(Bench.median(figures.cpuPerScrape) * 1e3, 1)) ms CPU"
            )
        ]
        try Bench.record(
            "3-scrape-1000", rows: rows,
            details: "1,000 idle stand-ins, 20 scrapes per run, one connection each, \(Bench.runs) runs\n" + figures.text("agent /metrics")
                + "load after: \(ProcessMeter.loadAverage())\n"
        )
    }

    @Test("10 TCG domains: our /metrics against prometheus-libvirt-exporter")
    func versusLibvirtExporter() async throws {
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let domains = try await BenchDomains.create(count: 10, in: directory.path, janitor: janitor)

        let ours = try await Bench.retrying("scraping the agent") {
            let env = Bench.agentEnv.merging(["LIBVIRT_URI": Virsh.uri, "PROCFS_DISCOVERY": "false"]) { $1 }
            let agent = try AgentUnderTest(env: env, directory: directory.path)
            try await agent.waitForVMs(prefix: BenchDomains.prefix, count: domains.count)
            let figures = try await Self.scrape(port: agent.port, count: 50, meters: [agent.meter, try BenchDomains.libvirtd()])
            try await agent.stop()
            return figures
        }
        let theirs = try await Bench.retrying("scraping prometheus-libvirt-exporter") {
            let exporter = try LibvirtExporter(directory: directory.path)
            try await exporter.waitUntilServing()
            let sample = try HTTPProbe.get(port: exporter.port, path: "/metrics").text
            let listed = domains.filter { sample.contains($0.name) }.count
            guard listed == domains.count else { throw TestFailure("the exporter lists \(listed) of the \(domains.count) domains") }
            return try await Self.scrape(port: exporter.port, count: 20, meters: [ProcessMeter(pid: exporter.child.pid), try BenchDomains.libvirtd()])
        }

        let ourCPU = Bench.median(ours.cpuPerScrape) * 1e3
        let theirCPU = Bench.median(theirs.cpuPerScrape) * 1e3
        let rows = [
            Bench.Row(
                "Scrape, 10 TCG domains: our /metrics latency, CPU (agent + libvirtd)",
                "\(Bench.format(Bench.median(ours.latency) * 1e3, 2)) ms, \(Bench.format(ourCPU, 2)) ms CPU (\(Bench.format(ourCPU / 10 * 1e3, 0)) us per VM)"
            ),
            Bench.Row(
                "Scrape, 10 TCG domains: prometheus-libvirt-exporter latency, CPU (exporter + libvirtd)",
                "\(Bench.format(Bench.median(theirs.latency) * 1e3, 2)) ms, \(Bench.format(theirCPU, 2)) ms CPU (\(Bench.format(theirCPU / 10 * 1e3, 0)) us per VM)"
            ),
        ]
        try Bench.record(
            "3-scrape-libvirt", rows: rows,
            details: "10 idle TCG domains; ours: 50 scrapes per run, the exporter: 20, one connection each, \(Bench.runs) runs\n"
                + ours.text("agent /metrics (agent + libvirtd)") + theirs.text("prometheus-libvirt-exporter (exporter + libvirtd)")
                + "load after: \(ProcessMeter.loadAverage())\n"
        )
    }
}
