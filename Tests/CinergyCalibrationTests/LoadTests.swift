import CinergyCalibration
import CinergyCore
import CinergyMeter
import Foundation
import Testing

@Suite("Load generator and run", .serialized)
struct LoadTests {
    /// CPU ticks this process has used (utime + stime of /proc/self/stat).
    static func ownTicks() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    }

    @Test("busy threads burn CPU at a level above 0 and are gone after stop")
    func busyThreads() async throws {
        let load = BusyThreadLoad(threadCount: 2)
        try load.setLevel(60)
        let start = Self.ownTicks()
        let deadline = Date().addingTimeInterval(30)
        while Self.ownTicks() - start < 20, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(Self.ownTicks() - start >= 20, "the load threads used no CPU in 30 s")
        load.stop()
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap {
            try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8)
        }
        #expect(!threads.contains { $0.hasPrefix("cinergy-load") })
    }

    /// A meter whose energy counter never moves.
    final class StuckMeter: PowerMeter {
        var kind: MeterKind { .rapl }
        var measures: String { "a stuck test counter" }
        var isEnergyCounter: Bool { true }
        var sampleIntervalSeconds: Double { 1 }
        func read() throws(MeterError) -> MeterReading {
            MeterReading(energyJoules: 5, monotonicSeconds: ProcessInfo.processInfo.systemUptime)
        }
    }

    @Test("a counter that does not move stops the run with an error naming the meter")
    func stuckCounter() throws {
        let run = CalibrationRun(plan: CalibrationPlan(levels: [0], settleSeconds: 0, levelSeconds: 30), procRoot: "/proc") { _ in }
        let load = BusyThreadLoad(threadCount: 1)
        #expect {
            try run.run(meter: StuckMeter(), load: load)
        } throws: { error in
            guard case .meter(.counterStuck(let meter, _)) = error as? CalibrationError else { return false }
            return meter.contains("a stuck test counter")
        }
    }

    @Test("the plan: expected duration, levels parsed")
    func plan() {
        #expect(CalibrationPlan().expectedSeconds == 385)
        #expect(CalibrationPlan.duration(385) == "6 min 25 s")
        #expect(CalibrationPlan.parseLevels("0, 50,100") == [0, 50, 100])
        #expect(CalibrationPlan.parseLevels("0,150") == nil)
        #expect(CalibrationPlan.parseLevels("x") == nil)
    }
}
