import CinergySystem
import Synchronization
import Testing

@Suite("The system clock and its polled sleep")
struct SystemClockTests {
    @Test("the monotonic clock never goes back, and the Unix clock is after 2020")
    func clocks() {
        let first = SystemClock.monotonicSeconds()
        let second = SystemClock.monotonicSeconds()
        #expect(second >= first)
        #expect(SystemClock.unixSeconds() > 1_577_836_800)
        #expect(SystemClock.bootSeconds() > 0)
    }

    @Test("sleep lasts its seconds when nothing stops it, and checks the stop condition at every step")
    func sleepsItsTime() {
        let checks = Atomic<Int>(0)
        let start = SystemClock.monotonicSeconds()
        let stopped = SystemClock.sleep(seconds: 0.2, stepSeconds: 0.01) {
            _ = checks.add(1, ordering: .relaxed)
            return false
        }
        let elapsed = SystemClock.monotonicSeconds() - start
        #expect(!stopped)
        // At least its time; at most a generous bound on a loaded 2-core machine.
        #expect(elapsed >= 0.2 && elapsed < 10)
        // Asked before the first step and after each: at least twice. A step never sleeps less than
        // asked (a late wake-up on a loaded machine only means fewer steps), so at most 0.2 / 0.01
        // steps and the last check; a generous margin for a signal cutting a step short.
        #expect(checks.load(ordering: .relaxed) >= 2 && checks.load(ordering: .relaxed) <= 60)
    }

    @Test("sleep returns at the first step its stop condition is true, and passes on what the condition throws")
    func stopsEarly() throws {
        let start = SystemClock.monotonicSeconds()
        let checks = Atomic<Int>(0)
        let stopped = SystemClock.sleep(seconds: 600, stepSeconds: 0.01) {
            checks.add(1, ordering: .relaxed).newValue >= 3
        }
        #expect(stopped)
        #expect(checks.load(ordering: .relaxed) == 3)
        #expect(SystemClock.monotonicSeconds() - start < 60)

        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try SystemClock.sleep(seconds: 600, stepSeconds: 0.01) { () throws(Interrupted) -> Bool in throw Interrupted() }
        }
        // Nothing left: returns at once without sleeping.
        #expect(!SystemClock.sleep(seconds: 0, stepSeconds: 0.01) { false })
    }
}
