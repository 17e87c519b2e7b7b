import CinergyCore
import CinergySystem
import Synchronization

/// Duty-cycled busy threads, one per online CPU: at level P, each spins P % of every 100 ms period
/// and sleeps the rest. The threads check for a stop (and for SIGINT/SIGTERM) while they spin and
/// at least every 5 ms while they sleep, so a stop takes effect at once.
public final class BusyThreadLoad: LoadGenerator {
    /// The duty-cycle period.
    public static let periodSeconds = 0.1

    private final class Shared: Sendable {
        /// The level in millionths (0…1,000,000).
        let level = Atomic<Int>(0)
        let stopped = Atomic<Bool>(false)

        var shouldStop: Bool { stopped.load(ordering: .relaxed) || CalibrationInterrupt.signal != nil }
    }

    private let shared = Shared()
    private var threads: [SystemThread] = []
    public let threadCount: Int

    public var description: String { "\(threadCount) duty-cycled busy threads (one per online CPU, \(Int(Self.periodSeconds * 1000)) ms period)" }

    public init(threadCount: Int = HostCPUs.onlineCount()) {
        self.threadCount = threadCount
        let shared = shared
        threads = (0..<threadCount).map { index in
            SystemThread(name: "cinergy-load-\(index)") { Self.spin(shared) }
        }
    }

    deinit { stop() }

    public func setLevel(_ percent: Double) throws(CalibrationError) {
        shared.level.store(Int((min(100, max(0, percent)) * 10_000).rounded()), ordering: .relaxed)
    }

    public func stop() {
        shared.stopped.store(true, ordering: .relaxed)
        for thread in threads { thread.join() }
        threads = []
    }

    private static func spin(_ shared: Shared) {
        var periodStart = now()
        while !shared.shouldStop {
            let share = Double(shared.level.load(ordering: .relaxed)) / 1_000_000
            let busyEnd = periodStart + periodSeconds * share
            while now() < busyEnd {
                if shared.shouldStop { return }
            }
            let periodEnd = periodStart + periodSeconds
            SystemClock.sleep(seconds: periodEnd - now(), stepSeconds: 0.005) { shared.shouldStop }
            periodStart = max(periodEnd, now() - periodSeconds)
        }
    }

    static func now() -> Double {
        SystemClock.monotonicSeconds()
    }
}
