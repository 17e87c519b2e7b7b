import CinergySystem
import SystemPackage

/// The host's aggregate CPU times: the `cpu` line of `/proc/stat`, summed over all CPUs, in clock ticks.
///
/// Busy time is user + nice + system + irq + softirq + steal: everything but idle and iowait. The
/// guest and guest_nice fields are not added again, since the kernel already counts them in user
/// and nice.
public struct HostCPUStat: Sendable, Equatable {
    /// Ticks spent doing work, over all CPUs.
    public let busyTicks: UInt64
    /// Ticks of every kind (busy, idle and iowait), over all CPUs.
    public let totalTicks: UInt64

    public init(busyTicks: UInt64, totalTicks: UInt64) {
        self.busyTicks = busyTicks
        self.totalTicks = totalTicks
    }

    /// Parses the aggregate `cpu` line of `/proc/stat` text; nil when there is none or it is malformed.
    public init?(procStatText text: some StringProtocol) {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().prefix(8).map { UInt64($0) }
        // Kernels since 2.6.11 have at least user..steal; older ones fewer (treated as zeros).
        guard fields.count >= 4, fields.allSatisfy({ $0 != nil }) else { return nil }
        let values = fields.map { $0 ?? 0 } + Array(repeating: 0, count: 8 - fields.count)
        let idle = values[3] + values[4]
        let total = values.reduce(0, +)
        self.init(busyTicks: total - idle, totalTicks: total)
    }

    /// Reads `/proc/stat` under `procRoot`.
    public static func read(procRoot: String = "/proc") throws(HostCPUStatError) -> HostCPUStat {
        let path = (procRoot.hasSuffix("/") ? String(procRoot.dropLast()) : procRoot) + "/stat"
        let text: String
        do {
            text = try SystemFile.readText(FilePath(path), limit: 1 << 20)
        } catch {
            throw .unreadable(path: path, reason: String(describing: error))
        }
        guard let stat = HostCPUStat(procStatText: text) else { throw .malformed(path: path) }
        return stat
    }

    /// The host load between `earlier` and this reading, in percent of all CPUs
    /// (Δbusy / Δtotal × 100); nil when no time passed or the counters went backwards.
    public func loadPercent(since earlier: HostCPUStat) -> Double? {
        guard totalTicks > earlier.totalTicks, busyTicks >= earlier.busyTicks else { return nil }
        let busy = Double(busyTicks - earlier.busyTicks)
        let total = Double(totalTicks - earlier.totalTicks)
        return min(100, max(0, busy / total * 100))
    }
}

/// Why `/proc/stat` could not be read.
public enum HostCPUStatError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .malformed(let path): "\(path) has no aggregate cpu line"
        }
    }
}
