import CinergyCore
import CinergySystem
import Synchronization
import SystemPackage

/// Power or energy from a hwmon sensor: `<sysfs>/class/hwmon/hwmonN/` with `power1_average` or
/// `power1_input` (microwatts) or `energy1_input` (microjoules). On servers the ACPI
/// `power_meter` driver (and BMC-backed drivers) report the whole server's power there.
public final class HwmonMeter: PowerMeter {
    /// The sensor file read.
    public let path: String
    /// Which file it is: `power1_average`, `power1_input` or `energy1_input`.
    public let attribute: String
    /// The driver's `name` (such as `power_meter`); empty when it has none.
    public let driverName: String
    public var kind: MeterKind { .hwmon }
    public let measures: String
    public var isEnergyCounter: Bool { attribute == "energy1_input" }
    public var sampleIntervalSeconds: Double { isEnergyCounter ? 1 : 0.1 }

    /// The attributes looked for, in order of preference within one hwmon device.
    public static let attributes = ["power1_average", "power1_input", "energy1_input"]
    /// Drivers whose power sensors measure a graphics card, not the host.
    static let graphicsDrivers: Set<String> = ["amdgpu", "radeon", "nouveau", "i915", "xe"]

    private struct State {
        var lastRaw: UInt64
        var totalMicrojoules: Double
    }
    private let state = Mutex<State?>(nil)

    /// Where the devices are looked for under `sysfsRoot`.
    public static func searchPath(sysfsRoot: String) -> String {
        (sysfsRoot.hasSuffix("/") ? String(sysfsRoot.dropLast()) : sysfsRoot) + "/class/hwmon"
    }

    /// The first hwmon device (in number order) with a power or energy sensor, or nil.
    public static func open(sysfsRoot: String) -> HwmonMeter? {
        let directory = searchPath(sysfsRoot: sysfsRoot)
        let entries = ((try? SystemFile.directoryEntries(FilePath(directory))) ?? [])
            .filter { $0.hasPrefix("hwmon") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
        for entry in entries {
            let device = directory + "/" + entry
            let name = SysfsValue.optionalText(device + "/name") ?? ""
            if graphicsDrivers.contains(name) { continue }
            // Older drivers keep their attributes in the device directory.
            for base in [device, device + "/device"] {
                for attribute in attributes where SystemFile.exists(FilePath(base + "/" + attribute)) {
                    return HwmonMeter(path: base + "/" + attribute, attribute: attribute, driverName: name, device: entry)
                }
            }
        }
        return nil
    }

    public init(path: String, attribute: String, driverName: String, device: String) {
        self.path = path
        self.attribute = attribute
        self.driverName = driverName
        let what =
            driverName == "power_meter"
            ? "server power as the BMC reports it through ACPI power_meter"
            : "power as the \(driverName.isEmpty ? "unnamed" : driverName) driver measures it"
        measures = "\(what) (hwmon \(device) \(attribute))"
    }

    public func read() throws(MeterError) -> MeterReading {
        let raw = try SysfsValue.integer(path)
        let now = SystemClock.monotonicSeconds()
        guard isEnergyCounter else {
            let watts = Double(raw) / 1e6
            guard watts < 100_000 else {
                throw .implausible(meter: "hwmon \(path)", detail: "\(raw) µW")
            }
            return MeterReading(powerWatts: watts, monotonicSeconds: now)
        }
        let total: Double = state.withLock { state in
            guard let previous = state else {
                state = State(lastRaw: raw, totalMicrojoules: 0)
                return 0
            }
            // hwmon energy counters are 64-bit and do not wrap in practice; a reset restarts them.
            let added = raw >= previous.lastRaw ? Double(raw - previous.lastRaw) : Double(raw)
            state = State(lastRaw: raw, totalMicrojoules: previous.totalMicrojoules + added)
            return previous.totalMicrojoules + added
        }
        return MeterReading(energyJoules: total / 1e6, monotonicSeconds: now)
    }
}
