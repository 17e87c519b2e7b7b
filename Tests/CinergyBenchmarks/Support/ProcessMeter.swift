import CinergySystem
import CinergyTestSupport
import Foundation

/// CPU time and memory of a running process, from the kernel's accounting of it.
struct ProcessMeter {
    let pid: Int32

    /// One reading of a process's CPU time.
    struct Reading {
        /// utime + stime of all its threads, in seconds (`/proc/PID/stat`; clock-tick resolution).
        let userSystemSeconds: Double
        /// Time on CPU of its live threads, in seconds (sum of `/proc/PID/task/*/schedstat`;
        /// nanosecond resolution: the same scheduler clock that utime + stime are scaled to).
        let onCPUSeconds: Double
        /// When it was taken, monotonic seconds.
        let monotonicSeconds: Double
    }

    /// What happened between two readings.
    struct Delta {
        let userSystemSeconds: Double
        let onCPUSeconds: Double
        let elapsedSeconds: Double
    }

    func read() throws -> Reading {
        guard let ticks = Kernel.cpuTicks(pid: pid) else { throw TestFailure("process \(pid) is gone") }
        return Reading(
            userSystemSeconds: ticks / Kernel.ticksPerSecond,
            onCPUSeconds: Self.onCPUSeconds(pid: pid) ?? .nan,
            monotonicSeconds: Kernel.monotonicSeconds()
        )
    }

    /// CPU used from `before` to now.
    func since(_ before: Reading) throws -> Delta {
        let after = try read()
        return Delta(
            userSystemSeconds: after.userSystemSeconds - before.userSystemSeconds,
            onCPUSeconds: after.onCPUSeconds - before.onCPUSeconds,
            elapsedSeconds: after.monotonicSeconds - before.monotonicSeconds
        )
    }

    /// Resident set size in bytes (`VmRSS` of `/proc/PID/status`).
    func residentBytes() -> Int? { statusField("VmRSS:") }

    /// Peak resident set size in bytes (`VmHWM`).
    func peakResidentBytes() -> Int? { statusField("VmHWM:") }

    /// The anonymous part of the resident set (heap, stacks, written data), in bytes (`RssAnon`).
    func residentAnonymousBytes() -> Int? { statusField("RssAnon:") }

    /// The file-backed part of the resident set (mapped code and read-only data of the binary and
    /// its libraries), in bytes (`RssFile`).
    func residentFileBytes() -> Int? { statusField("RssFile:") }

    /// Open file descriptors (entries of `/proc/PID/fd`).
    func openFileCount() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    private func statusField(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kibibytes = Int(fields[1]) { return kibibytes * 1024 }
        }
        return nil
    }

    static func onCPUSeconds(pid: Int32) -> Double? {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var nanoseconds = 0.0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                let first = text.split(separator: " ").first, let value = Double(first)
            else { continue }
            nanoseconds += value
        }
        return nanoseconds / 1e9
    }

    /// PIDs of the processes whose `comm` is `name` (such as `libvirtd`).
    static func pids(named name: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap(Int32.init).filter { pid in
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? ""
            return comm.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }
    }

    /// The host's 1-minute load average, to note interference in the results.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
