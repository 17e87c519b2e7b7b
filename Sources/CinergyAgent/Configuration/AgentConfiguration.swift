public import CinergyCore
public import CinergyFleet
public import CinergyMeter
public import HummingbirdTLS
public import Logging

/// Everything the agent is configured with, validated. Each field is set by the variable of
/// `ConfigurationVariable.all` named beside it, which holds its meaning, rule and default.
public struct AgentConfiguration: Sendable {
    /// The polynomial's coefficients, constant term first (`REG_COEFF`).
    public var coefficients: [Double] = []
    /// Share of dynamic power attributed to a VM, 0…1, when it is a constant (`CINERGY_RATIO`).
    public var cinergyRatio: Double?
    /// Coefficients of the ratio's curve over the host's CPU load, constant first (`CINERGY_RATIO_COEFF`).
    public var cinergyRatioCoefficients: [Double]?
    /// The largest input `f` was fitted on, in the unit of `modelInput` (`MODEL_INPUT_MAX`).
    public var modelInputMax: Double?
    /// CPUs that static power is shared across (`SERVER_CORES`).
    public var serverCores: Int = 1
    /// Datacenter power usage effectiveness, ≥ 1 (`DC_PUE`).
    public var pue: Double = 1
    /// Grid carbon intensity, gCO2eq/kWh (`EMISSION_FACTOR`).
    public var emissionFactorGramsPerKilowattHour: Double = 0
    /// What `f` is evaluated at (`MODEL_INPUT`).
    public var modelInput: ModelInput = .vmPercent
    /// HTTP listen address (`BIND_ADDRESS`).
    public var bindAddress: String = ""
    /// HTTP port (`PORT`).
    public var port: Int = 0
    /// Seconds between samples (`SAMPLE_INTERVAL`).
    public var sampleIntervalSeconds: Double = 1
    /// The libvirt URI to follow, nil when libvirt is off (`LIBVIRT_URI`).
    public var libvirtURI: String?
    /// Whether the procfs scan looks for QEMUs every interval (`PROCFS_DISCOVERY`).
    public var procfsDiscovery: Bool = false
    /// Whether per-VM metrics carry Nova labels (`METRICS_NOVA_LABELS`).
    public var metricsNovaLabels: Bool = false
    /// Whether libvirt VMs that declare the channel `org.cinergy.power.0` get their figures in it (`GUEST_CHANNEL`).
    public var guestChannel: Bool = false
    /// Whether the channel is hot-plugged into running domains that lack it (`GUEST_CHANNEL_HOTPLUG`).
    public var guestChannelHotplug: Bool = false
    /// The token requests must present, nil when the API is open (read from `AUTH_TOKEN_FILE`).
    public var authToken: BearerToken?
    /// The certificate chain to serve HTTPS with, nil for plain HTTP (`TLS_CERTIFICATE_FILE`).
    public var tlsCertificateChain: [NIOSSLCertificate]?
    /// The certificate's private key (`TLS_KEY_FILE`).
    public var tlsPrivateKey: NIOSSLPrivateKey?
    /// Where procfs is mounted (`PROC_ROOT`).
    public var procRoot: String = ""
    /// Where sysfs is mounted, for the RAPL and hwmon meters (`SYSFS_ROOT`).
    public var sysfsRoot: String = ""
    /// The meter the host's power is read from (`HOST_METER`).
    public var hostMeter: MeterChoice = .none
    /// Mean absolute percentage error above which the model is drifting (`MODEL_DRIFT_PERCENT`).
    public var modelDriftPercent: Double = 15
    /// Seconds the mean error looks back over (`MODEL_DRIFT_WINDOW`).
    public var modelDriftWindowSeconds: Double = 600
    /// Least severe log level printed (`LOG_LEVEL`).
    public var logLevel: Logger.Level = .info
    /// How log records are written (`LOG_FORMAT`).
    public var logFormat: LogFormat = .text
    /// The ledger's directory, nil when persistence is off (`STATE_DIRECTORY`).
    public var stateDirectory: String?
    /// Seconds between two ledger writes (`LEDGER_FLUSH_SECONDS`).
    public var ledgerFlushSeconds: Double = 10
    /// Minutes the ledger holds before writing them out to the VM rows and buckets
    /// (`LEDGER_WRITE_OUT_MINUTES`).
    public var ledgerWriteOutMinutes: Int = 5
    /// Hours minute buckets are kept (`LEDGER_MINUTE_RETENTION_HOURS`).
    public var ledgerMinuteRetentionHours: Double = 48
    /// Days hour buckets are kept (`LEDGER_HOUR_RETENTION_DAYS`).
    public var ledgerHourRetentionDays: Double = 400
    /// The time-varying emission factor file, nil when there is none (`EMISSION_FACTOR_FILE`).
    public var emissionFactorFile: String?
    /// Seconds the file's last row stays in force (`EMISSION_FACTOR_FILE_MAX_AGE`).
    public var emissionFactorFileMaxAgeSeconds: Double = 7200
    /// How static shares are worked out (`STATIC_SHARE`).
    public var staticShare: StaticShare = .serverCores
    /// The server's embodied emissions in kgCO2eq, nil when not accounted (`SERVER_EMBODIED_EMISSIONS`).
    public var embodiedEmissionsKilograms: Double?
    /// The server's expected lifetime in years (`SERVER_LIFETIME`).
    public var serverLifetimeYears: Double = 5
    /// The SCS-0414 provider gauges' `datacenter` label (`SUSTAINABILITY_DATACENTER`).
    public var sustainabilityDatacenter: String?
    /// The SCS-0414 provider gauges' `component` label (`SUSTAINABILITY_COMPONENT`).
    public var sustainabilityComponent: String?
    /// The fleet's central database, nil when the ledger is not replicated (`FLEET_DATABASE_URL`).
    public var fleetDatabaseURL: FleetDatabaseURL?
    /// Its password, read from `FLEET_DATABASE_PASSWORD_FILE`; nil sends none.
    public var fleetDatabasePassword: FleetPassword?
    /// This host's name in the fleet's database (`FLEET_HOST_IDENTITY`).
    public var fleetHostIdentity: String = ""

    /// Fields as the table's parsers fill them in.
    init() {}

    /// The required values given, every other variable at its default on a host with
    /// `serverCores` online CPUs.
    public init(
        coefficients: [Double],
        cinergyRatio: Double,
        serverCores: Int,
        pue: Double,
        emissionFactorGramsPerKilowattHour: Double
    ) {
        let defaults = [
            ConfigurationVariable.regCoeff.name: coefficients.map { "\($0)" }.joined(separator: ","),
            ConfigurationVariable.cinergyRatio.name: "\(cinergyRatio)",
            ConfigurationVariable.serverCores.name: "\(serverCores)",
            ConfigurationVariable.dcPUE.name: "\(pue)",
            ConfigurationVariable.emissionFactor.name: "\(emissionFactorGramsPerKilowattHour)",
        ]
        do {
            self = try Self.validate(onlineCPUs: serverCores) { defaults[$0] }
        } catch {
            preconditionFailure("invalid configuration: \(error)")
        }
    }

    /// Both halves of the HTTPS setup, nil for plain HTTP.
    public var tls: (certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey)? {
        guard let tlsCertificateChain, let tlsPrivateKey else { return nil }
        return (tlsCertificateChain, tlsPrivateKey)
    }

    /// The cinergy ratio: the constant, or the curve over the host's load.
    public var ratio: CinergyRatio {
        cinergyRatioCoefficients.map { .hostLoadCurve(Polynomial(coefficients: $0)) } ?? .constant(cinergyRatio ?? 0)
    }

    /// The power model these settings describe.
    public var powerModel: PowerModel {
        PowerModel(
            curve: PowerCurve(polynomial: Polynomial(coefficients: coefficients), inputMax: modelInputMax),
            ratio: ratio,
            serverCores: serverCores,
            input: modelInput,
            staticShare: staticShare
        )
    }

    /// The server's embodied emissions over its lifetime; nil when they are not accounted.
    public var embodiedModel: EmbodiedModel? {
        embodiedEmissionsKilograms.map { EmbodiedModel(embodiedKilograms: $0, lifetimeYears: serverLifetimeYears) }
    }

    /// Energy and carbon accounting with these settings' models.
    public var accounting: EnergyAccounting {
        EnergyAccounting(power: powerModel, carbon: carbonModel, embodied: embodiedModel)
    }

    /// Whether a host meter is to be read (`HOST_METER` is not `none`).
    public var hostMeterConfigured: Bool { hostMeter != .none }

    /// A monitor of the host's meter against the model, with these settings' drift rule and cinergy ratio.
    public func hostPowerMonitor() -> HostPowerMonitor {
        HostPowerMonitor(
            configuration: .init(windowSeconds: modelDriftWindowSeconds, driftThresholdPercent: modelDriftPercent, cinergyRatio: powerModel.ratio)
        )
    }

    /// The carbon model these settings describe.
    public var carbonModel: CarbonModel {
        CarbonModel(pue: pue, emissionFactorGramsPerKilowattHour: emissionFactorGramsPerKilowattHour)
    }
}

/// How the agent writes its log records on standard error.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One line of text a record, as swift-log's stream handler writes it.
    case text
    /// One JSON object a line: time, level, label, message and metadata.
    case json
}
