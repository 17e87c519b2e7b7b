import CinergySystem
import SystemPackage

/// What identifies the host's current boot, and when it booted: PIDs and process start ticks mean
/// something only within one boot.
public enum HostBoot {
    /// The boot's Unix time, seconds: `btime` of `/proc/stat` under `procRoot`, which the kernel
    /// gives in whole seconds, refined to the clocks' `CLOCK_REALTIME − CLOCK_BOOTTIME` when that
    /// is the same second (this host's `/proc`), so that a process's start time (ticks since
    /// boot) is not up to a second early; nil when unreadable.
    public static func bootTimeUnixSeconds(procRoot: String = "/proc") -> Double? {
        let path = (procRoot.hasSuffix("/") ? String(procRoot.dropLast()) : procRoot) + "/stat"
        guard let text = try? SystemFile.readText(FilePath(path), limit: 1 << 20) else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }) else { return nil }
        guard let btime = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return nil }
        let precise = SystemClock.unixSeconds() - SystemClock.bootSeconds()
        return abs(precise - btime) < 1.5 ? precise : btime
    }

    /// `/proc/sys/kernel/random/boot_id` under `procRoot`; nil when unreadable.
    public static func bootID(procRoot: String = "/proc") -> String? {
        let path = (procRoot.hasSuffix("/") ? String(procRoot.dropLast()) : procRoot) + "/sys/kernel/random/boot_id"
        guard let text = try? SystemFile.readText(FilePath(path), limit: 4096) else { return nil }
        let id = text.filter { !$0.isWhitespace }
        return id.isEmpty ? nil : id
    }
}
