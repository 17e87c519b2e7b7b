import CinergyCore
import CinergySystem
import Synchronization
import SystemPackage

/// Energy from RAPL through powercap: the `psys` zone when present (the whole platform), else the
/// sum of the `package-N` zones (CPU packages). Sub-zones (`intel-rapl:N:M`: core, uncore, dram)
/// are parts of their package and never added. AMD Zen CPUs appear under the same names.
///
/// `energy_uj` wraps to 0 at `max_energy_range_uj`; each read unfolds the wrap, so it must be read
/// more often than a wrap takes (minutes to hours on real hardware).
public final class RAPLMeter: PowerMeter {
    /// The zones summed.
    public let domains: [RAPLDomain]
    public var kind: MeterKind { .rapl }
    public let measures: String
    public var isEnergyCounter: Bool { true }
    public var sampleIntervalSeconds: Double { 1 }

    /// Mean power above which two readings are a jump, not a measurement, in watts per zone.
    public static let implausibleWattsPerDomain = 5_000.0

    private struct State {
        var lastRaw: [UInt64]
        var lastSeconds: Double
        var totalMicrojoules: Double
    }
    private let state: Mutex<State?>

    static let permissionHint =
        "energy_uj is readable by root only on current kernels (CVE-2020-8694): run calibrate as root"

    /// Opens the RAPL zones under `sysfsRoot`, or nil when there are none.
    public static func open(sysfsRoot: String) throws(MeterError) -> RAPLMeter? {
        let domains = try findDomains(sysfsRoot: sysfsRoot)
        guard !domains.isEmpty else { return nil }
        return RAPLMeter(domains: domains)
    }

    /// The zones to sum: `psys` alone when present, else every `package-N`.
    public static func findDomains(sysfsRoot: String) throws(MeterError) -> [RAPLDomain] {
        let directory = searchPath(sysfsRoot: sysfsRoot)
        let entries = (try? SystemFile.directoryEntries(FilePath(directory))) ?? []
        var zones: [RAPLDomain] = []
        for entry in entries where isTopLevelZone(entry) {
            let path = directory + "/" + entry
            guard let name = SysfsValue.optionalText(path + "/name") else { continue }
            guard name == "psys" || name.hasPrefix("package-") else { continue }
            guard SystemFile.exists(FilePath(path + "/energy_uj")) else { continue }
            let range = try SysfsValue.integer(path + "/max_energy_range_uj")
            zones.append(RAPLDomain(path: path, name: name, maxEnergyRangeMicrojoules: range))
        }
        if let psys = zones.first(where: { $0.name == "psys" }) { return [psys] }
        return zones
    }

    /// Where the zones are looked for under `sysfsRoot`.
    public static func searchPath(sysfsRoot: String) -> String {
        (sysfsRoot.hasSuffix("/") ? String(sysfsRoot.dropLast()) : sysfsRoot) + "/class/powercap"
    }

    /// `intel-rapl:N`, not a sub-zone `intel-rapl:N:M`.
    static func isTopLevelZone(_ entry: String) -> Bool {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[0] == "intel-rapl" && !parts[1].isEmpty && parts[1].allSatisfy(\.isNumber)
    }

    public init(domains: [RAPLDomain]) {
        precondition(!domains.isEmpty, "a RAPL meter needs at least one zone")
        self.domains = domains
        let names = domains.map(\.name).joined(separator: "+")
        measures =
            domains.count == 1 && domains[0].name == "psys"
            ? "platform power (RAPL psys: CPU packages and the rest of the SoC, not the whole server)"
            : "CPU package power (RAPL \(names); not memory, disks, fans or power supply losses)"
        state = Mutex(nil)
    }

    /// The sum of the zones' energy since the first read, in joules, with wrap-arounds unfolded.
    public func read() throws(MeterError) -> MeterReading {
        var raw: [UInt64] = []
        for domain in domains {
            raw.append(try SysfsValue.integer(domain.energyPath, permissionHint: Self.permissionHint))
        }
        let now = SystemClock.monotonicSeconds()
        let result: Result<Double, MeterError> = state.withLock { state in
            guard let previous = state else {
                state = State(lastRaw: raw, lastSeconds: now, totalMicrojoules: 0)
                return .success(0)
            }
            var added = 0.0
            for (index, domain) in domains.enumerated() {
                let delta = Self.delta(from: previous.lastRaw[index], to: raw[index], range: domain.maxEnergyRangeMicrojoules)
                let seconds = max(now - previous.lastSeconds, 1e-3)
                let watts = delta / 1e6 / seconds
                if watts > Self.implausibleWattsPerDomain {
                    return .failure(
                        .implausible(
                            meter: "RAPL \(domain.name) (\(domain.energyPath))",
                            detail: "energy_uj went from \(previous.lastRaw[index]) to \(raw[index]) in "
                                + "\(MeterError.format(seconds)) s, \(Int(watts)) W"
                        ))
                }
                added += delta
            }
            state = State(lastRaw: raw, lastSeconds: now, totalMicrojoules: previous.totalMicrojoules + added)
            return .success(previous.totalMicrojoules + added)
        }
        switch result {
        case .success(let microjoules): return MeterReading(energyJoules: microjoules / 1e6, monotonicSeconds: now)
        case .failure(let error): throw error
        }
    }

    /// The energy between two counter values in microjoules: a counter below its previous value wrapped at `range`.
    public static func delta(from previous: UInt64, to current: UInt64, range: UInt64) -> Double {
        if current >= previous { return Double(current - previous) }
        return Double(range) - Double(previous) + Double(current)
    }
}
