import CinergyCore
import Foundation
import Logging
import Testing

@Suite("The sampler service")
struct SamplerServiceTests {
    @Test("runs rounds (on its worker thread) until cancelled, then returns")
    func runsUntilCancelled() async throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 40, arguments: ["qemu-system-x86_64", "-name", "served"], cpuTicks: 10, startTime: 3)
        let registry = VMRegistry()
        let sampler = Sampler(
            registry: registry,
            configuration: .init(intervalSeconds: 0.05, procfs: ProcFS(root: proc.path)),
            logger: Logger(label: "test")
        )
        let task = Task { try await sampler.run() }
        let deadline = Date().addingTimeInterval(60)
        while registry.status().lastRound == nil || registry.records().isEmpty, Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(registry.records().map(\.name) == ["served"])
        task.cancel()
        try await task.value
    }
}
