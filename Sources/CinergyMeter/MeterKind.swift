/// Which kind of power meter a reading comes from.
public enum MeterKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Intel RAPL (and AMD's, under the same names) through powercap: CPU package or platform energy.
    case rapl
    /// A hwmon sensor: power or energy as its driver reports it (ACPI power_meter: the BMC's reading).
    case hwmon
    /// The BMC's DCMI power reading through `ipmitool`: the whole server's wall power.
    case ipmi

    public var description: String { rawValue }
}
