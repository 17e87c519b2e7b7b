/// The clocks the agent reads (the only `clock_gettime` of Sources/), the kernel's clock-tick rate
/// of `/proc` CPU times, and the polled sleep of the agent's own threads.
public enum SystemClock {
    /// Seconds on the monotonic clock (for intervals).
    public static func monotonicSeconds() -> Double {
        seconds(CLOCK_MONOTONIC)
    }

    /// Seconds since the Unix epoch (for timestamps shown to users).
    public static func unixSeconds() -> Double {
        seconds(CLOCK_REALTIME)
    }

    /// Seconds since boot, suspended time included (`CLOCK_BOOTTIME`: what process start times count from).
    public static func bootSeconds() -> Double {
        seconds(CLOCK_BOOTTIME)
    }

    /// CPU time of the calling thread, seconds (`CLOCK_THREAD_CPUTIME_ID`: what a piece of work
    /// run on one thread costs, whatever else the process and the host do meanwhile).
    public static func threadCPUSeconds() -> Double {
        seconds(CLOCK_THREAD_CPUTIME_ID)
    }

    /// Clock ticks per second of `/proc/PID/stat` times (`sysconf(_SC_CLK_TCK)`).
    public static let ticksPerSecond: Double = {
        let value = sysconf(Int32(_SC_CLK_TCK))
        return value > 0 ? Double(value) : 100
    }()

    /// Sleeps until `seconds` have passed on the monotonic clock, in steps of at most `stepSeconds`,
    /// and returns early once `stop` returns true (asked before each step): the one way a thread of
    /// the agent's own (a meter's, calibrate's load and run) waits while watching for a stop. Returns
    /// whether `stop` ended the sleep; throws what `stop` throws.
    @discardableResult
    public static func sleep<Failure: Error>(
        seconds: Double, stepSeconds: Double, stoppingWhen stop: () throws(Failure) -> Bool
    ) throws(Failure) -> Bool {
        let end = monotonicSeconds() + seconds
        while true {
            if try stop() { return true }
            let left = end - monotonicSeconds()
            if left <= 0 { return false }
            let step = min(left, stepSeconds)
            let whole = step.rounded(.down)
            var pause = timespec(tv_sec: Int(whole), tv_nsec: Int((step - whole) * 1e9))
            nanosleep(&pause, nil)
        }
    }

    private static func seconds(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
