import CinergySystem
import Foundation
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
