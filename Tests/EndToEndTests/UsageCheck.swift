import CinergyTestSupport
import Foundation
import Testing

/// Checks the agent's `cpu_usage` of a VM against another count of the same process's CPU time.
enum UsageCheck {
    /// Collects four consecutive samples of `name` from `/power` and compares their time-weighted
    /// mean with `reference` (cumulative CPU seconds of the same process) read before and after.
    /// Both count the same busy process over nearly the same window, so they agree within a few
    /// percent; the tolerance is 5 % of the reference or 5 points, whichever is larger.
    static func compare(
        agent: AgentUnderTest,
        name: String,
        reference description: String,
        reference cumulativeCPUSeconds: () async throws -> Double
    ) async throws {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        func sample() async throws -> (sampledAt: String, usage: Double, interval: Double) {
            let (_, json) = try await agent.get("/power?vm=\(encoded)")
            let object = json as? [String: Any] ?? [:]
            return (
                object["sampled_at"] as? String ?? "", object["cpu_usage"] as? Double ?? -1,
                object["sample_interval_seconds"] as? Double ?? 0
            )
        }
        var last = try await sample()
        func nextSample() async throws {
            let previous = last.sampledAt
            try await agent.waitFor("a new sample of \(name)") {
                guard let next = try? await sample() else { return false }
                return next.sampledAt != previous && next.usage >= 0
            }
            last = try await sample()
        }
        // Start right after a fresh sample, read the reference, then collect the next samples.
        try await nextSample()
        let startSeconds = try await cumulativeCPUSeconds()
        let startTime = Kernel.monotonicSeconds()
        var weighted = 0.0
        var covered = 0.0
        for _ in 0..<4 {
            try await nextSample()
            weighted += last.usage * last.interval
            covered += last.interval
        }
        let endSeconds = try await cumulativeCPUSeconds()
        let elapsed = Kernel.monotonicSeconds() - startTime
        let referencePercent = (endSeconds - startSeconds) / elapsed * 100
        let agentPercent = weighted / covered
        let tolerance = max(5.0, referencePercent * 0.05)
        #expect(
            abs(agentPercent - referencePercent) <= tolerance,
            "\(name): agent \(agentPercent) % vs \(description) \(referencePercent) % over \(elapsed) s"
        )
        #expect(referencePercent > 30, "\(name) should be busy; \(description) counted \(referencePercent) %")
    }
}
