import CinergyTestSupport
import Foundation
import Testing

/// Item 4 of the benchmarks (with FreshnessMeasurement): time from exec of the agent to its first
/// 200 on `/health`, polled every 2 ms on a fresh connection. A measurement, not a test (see
/// docs/BENCHMARKS.md).
@Suite("Benchmark: start-up time", .serialized)
struct StartupBenchmark {
    static let starts = 10

    @Test("exec to the first 200 on /health, with libvirt off and on")
    func startup() async throws {
        var rows: [Bench.Row] = []
        var details = "\(Self.starts) starts each, no VMs of ours on the host; load before: \(ProcessMeter.loadAverage())\n"
        for (label, libvirt) in [("LIBVIRT_URI=none", "none"), ("LIBVIRT_URI=qemu:///system", Virsh.uri)] {
            var times: [Double] = []
            for _ in 0..<Self.starts {
                let directory = try TemporaryDirectory()
                let env = Bench.agentEnv.merging(["LIBVIRT_URI": libvirt, "PROCFS_DISCOVERY": "true"]) { $1 }
                // From just before the env file is written and the binary spawned.
                let started = Kernel.monotonicSeconds()
                let agent = try AgentUnderTest(env: env, directory: directory.path)
                let deadline = started + 60
                var ready: Double?
                while Kernel.monotonicSeconds() < deadline {
                    if let response = try? HTTPProbe.get(port: agent.port, path: "/health", timeoutSeconds: 5), response.status == 200 {
                        ready = Kernel.monotonicSeconds()
                        break
                    }
                    guard agent.child.isRunning else { throw TestFailure("the agent exited at start-up:\n\(agent.log)") }
                    try await Task.sleep(for: .milliseconds(2))
                }
                guard let ready else { throw TestFailure("no 200 on /health within 60 s:\n\(agent.log)") }
                times.append(ready - started)
                try await agent.stop()
            }
            details += "\(label): ms \(Bench.list(times.map { $0 * 1e3 }, 1))\n"
            rows.append(
                Bench.Row(
                    "Start-up, exec to first 200 on /health (\(label))",
                    "median \(Bench.format(Bench.median(times) * 1e3, 1)) ms, worst \(Bench.format((times.max() ?? .nan) * 1e3, 1)) ms"
                )
            )
        }
        try Bench.record("4-startup", rows: rows, details: details)
    }
}
