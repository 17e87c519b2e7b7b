public import CinergyMeter

/// What `cinergy calibrate` was asked to do, as parsed from its command line.
public struct CalibrationOptions: Sendable {
    /// Which meter to measure with.
    public var meter: CalibrationMeter
    /// What loads the CPUs.
    public var loadGenerator: LoadGeneratorKind
    /// Where sysfs and procfs are mounted.
    public var sysfsRoot: String
    public var procRoot: String
    /// The load levels and their timing.
    public var plan: CalibrationPlan
    /// Recorded points to fit instead of measuring (`--from-csv`).
    public var fromCSV: String?
    /// The files to write.
    public var outputs: CalibrationOutputs

    public init(
        meter: CalibrationMeter = .auto, loadGenerator: LoadGeneratorKind = .builtin, sysfsRoot: String = "/sys",
        procRoot: String = "/proc", plan: CalibrationPlan = .init(), fromCSV: String? = nil, outputs: CalibrationOutputs = .init()
    ) {
        self.meter = meter
        self.loadGenerator = loadGenerator
        self.sysfsRoot = sysfsRoot
        self.procRoot = procRoot
        self.plan = plan
        self.fromCSV = fromCSV
        self.outputs = outputs
    }
}

/// `--meter`: one kind of meter, or the first found.
public enum CalibrationMeter: String, Sendable, CaseIterable {
    /// The first found in order: RAPL, hwmon, IPMI.
    case auto
    case rapl
    case hwmon
    case ipmi

    /// The meter discovery looks for: the same kind, never matched by its name.
    public var choice: MeterChoice {
        switch self {
        case .auto: .auto
        case .rapl: .rapl
        case .hwmon: .hwmon
        case .ipmi: .ipmi
        }
    }
}

/// `--load-generator`: the command's own busy threads, or stress-ng.
public enum LoadGeneratorKind: String, Sendable, CaseIterable {
    case builtin
    case stressNG = "stress-ng"
}
