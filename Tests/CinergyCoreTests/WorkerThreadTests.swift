import CinergyCore
import Foundation
import Logging
import Synchronization
import Testing

@Suite("A worker thread for blocking work")
struct WorkerThreadTests {
    struct Failure: Error, Equatable {}

    /// The names of this process's threads (`/proc/self/task/TID/comm`).
    static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .newlines) }
    }

    static func currentThreadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    @Test("jobs run one after another, in order, on the worker's own thread; errors reach the caller")
    func runsJobsInOrder() async throws {
        let worker = WorkerThread(name: "cinergy-wt-a")
        let log = Mutex<[Int]>([])
        for index in 0..<50 {
            let name = await worker.run {
                log.withLock { $0.append(index) }
                return Self.currentThreadName()
            }
            #expect(name == "cinergy-wt-a")
        }
        #expect(log.withLock { $0 } == Array(0..<50))
        #expect(Self.currentThreadName() != "cinergy-wt-a")
        await #expect(throws: Failure.self) {
            try await worker.run { () throws(Failure) -> Int in throw Failure() }
        }
        #expect(await worker.run { 42 } == 42)
    }

    @Test("the thread ends once the worker is released")
    func threadEnds() async throws {
        var worker: WorkerThread? = WorkerThread(name: "cinergy-wt-b")
        #expect(await worker?.run { Self.currentThreadName() } == "cinergy-wt-b")
        #expect(Self.threadNames().contains("cinergy-wt-b"))
        worker = nil
        let deadline = Date().addingTimeInterval(60)
        while Self.threadNames().contains("cinergy-wt-b"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!Self.threadNames().contains("cinergy-wt-b"))
    }
}

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
