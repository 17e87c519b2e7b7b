#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The clocks sampling needs, and the kernel's clock-tick rate of `/proc` CPU times.
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

    private static func seconds(_ clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
