import CinergyTestSupport
import Foundation
import Testing

/// Measures how long a domain start or stop takes to show in the REST answer, on the libvirt event
/// path and on the procfs-only path. A measurement, not a test (see docs/BENCHMARKS.md):
/// it asserts nothing about speed.
@Suite("Freshness measurement", .serialized)
struct FreshnessMeasurement {
    static let cycles = Int(ProcessInfo.processInfo.environment["CINERGY_MEASURE_CYCLES"] ?? "") ?? 20

    struct Figures {
        var startFromIssue: [Double] = []
        var startFromReturn: [Double] = []
        var stopFromIssue: [Double] = []
        var stopFromReturn: [Double] = []
    }

    @Test("libvirt events vs procfs scan: start/stop to REST change")
    func measure() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system")
        var report = ""
        var rows: [Bench.Row] = []
        for (label, overrides) in [
            ("libvirt events (PROCFS_DISCOVERY=false)", ["PROCFS_DISCOVERY": "false", "LIBVIRT_URI": "qemu:///system"]),
            ("procfs scan only (LIBVIRT_URI=none)", ["PROCFS_DISCOVERY": "true", "LIBVIRT_URI": "none"]),
        ] {
            let figures = try await Self.run(overrides: overrides)
            report += "\(label), \(Self.cycles) cycles, SAMPLE_INTERVAL=1, client polling every 5 ms\n"
            report += Self.line("start, from `virsh create` issued  ", figures.startFromIssue)
            report += Self.line("start, from `virsh create` returned", figures.startFromReturn)
            report += Self.line("stop,  from `virsh destroy` issued ", figures.stopFromIssue)
            report += Self.line("stop,  from `virsh destroy` returned", figures.stopFromReturn)
            let path = overrides["PROCFS_DISCOVERY"] == "false" ? "libvirt events" : "procfs scan only"
            for (what, values) in [("start, from `virsh create` issued", figures.startFromIssue), ("stop, from `virsh destroy` issued", figures.stopFromIssue)] {
                rows.append(
                    Bench.Row(
                        "Freshness, \(path): \(what)",
                        "median \(Self.format(Bench.median(values))) ms, worst \(Self.format(values.max() ?? .nan)) ms (\(values.count) cycles)"
                    )
                )
            }
        }
        print("FRESHNESS\n" + report)
        if let path = ProcessInfo.processInfo.environment["CINERGY_MEASURE_OUTPUT"] {
            try report.write(toFile: path, atomically: true, encoding: .utf8)
        }
        // Also a part of the benchmark summary (written with `CINERGY_BENCH_OUTPUT`, as by `make bench`).
        try Bench.record("4-freshness", rows: rows, details: report)
    }

    static func line(_ label: String, _ values: [Double]) -> String {
        let sorted = values.sorted()
        let median = sorted.isEmpty ? .nan : sorted[sorted.count / 2] * 0.5 + sorted[(sorted.count - 1) / 2] * 0.5
        return "  \(label): median \(format(median)) ms, worst \(format(sorted.last ?? .nan)) ms\n"
    }

    static func format(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }

    static func run(overrides: [String: String]) async throws -> Figures {
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let env = EndToEnd.libvirtEnv.merging(overrides) { $1 }
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitFor("the agent") { (try? await agent.get("/health"))?.status == 200 }
        try await Task.sleep(for: .seconds(2))  // let the libvirt connection come up
        var figures = Figures()
        func present(_ name: String) async -> Bool { await agent.vms().contains { $0["name"] as? String == name } }
        func pollUntil(_ condition: () async -> Bool) async throws -> Double {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                if await condition() { return Kernel.monotonicSeconds() }
                try await Task.sleep(for: .milliseconds(5))
            }
            throw TestFailure("timed out")
        }
        for cycle in 0..<cycles {
            let domain = TestDomain(name: EndToEnd.uniqueDomainName("fresh\(cycle)"), spinning: false)
            janitor.track(domain)
            // A random pause, so that commands do not fall in step with the sampling rounds.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<1000)))
            // Poll concurrently with the command: the change may come before virsh returns.
            let issued = Kernel.monotonicSeconds()
            async let seen = pollUntil { await present(domain.name) }
            try await domain.create(in: directory.path)
            let returned = Kernel.monotonicSeconds()
            let visible = try await seen
            figures.startFromIssue.append(visible - issued)
            figures.startFromReturn.append(max(0, visible - returned))

            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<1000)))
            let stopIssued = Kernel.monotonicSeconds()
            async let gone = pollUntil { await !present(domain.name) }
            try await Virsh.check(["destroy", domain.name])
            let stopReturned = Kernel.monotonicSeconds()
            let vanished = try await gone
            figures.stopFromIssue.append(vanished - stopIssued)
            figures.stopFromReturn.append(max(0, vanished - stopReturned))
        }
        return figures
    }
}
