/// Which meter to use: one kind, the first found (`auto`), or none.
public enum MeterChoice: String, Sendable, CaseIterable {
    case none
    /// The first found in order: RAPL, hwmon, IPMI.
    case auto
    case rapl
    case hwmon
    case ipmi
}
