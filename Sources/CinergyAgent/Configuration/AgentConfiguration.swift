public import CinergyCore
public import Logging

/// Everything the agent is configured with, validated.
public struct AgentConfiguration: Sendable {
    /// The polynomial's coefficients, constant term first (`REG_COEFF`).
    public var coefficients: [Double]
    /// Share of dynamic power attributed to a VM, 0…1 (`CINERGY_RATIO`).
    public var cinergyRatio: Double
    /// CPUs that static power is shared across (`SERVER_CORES`).
    public var serverCores: Int
    /// Datacenter power usage effectiveness, ≥ 1 (`DC_PUE`).
    public var pue: Double
    /// Grid carbon intensity, gCO2eq/kWh (`EMISSION_FACTOR`).
    public var emissionFactorGramsPerKilowattHour: Double
    /// What `f` is evaluated at (`MODEL_INPUT`).
    public var modelInput: ModelInput
    /// HTTP listen address (`BIND_ADDRESS`).
    public var bindAddress: String
    /// HTTP port (`PORT`).
    public var port: Int
    /// Seconds between samples (`SAMPLE_INTERVAL`).
    public var sampleIntervalSeconds: Double
    /// The libvirt URI to follow, nil when libvirt is off (`LIBVIRT_URI`).
    public var libvirtURI: String?
    /// Whether the procfs scan looks for QEMUs every interval (`PROCFS_DISCOVERY`).
    public var procfsDiscovery: Bool
    /// Whether per-VM metrics carry Nova labels (`METRICS_NOVA_LABELS`).
    public var metricsNovaLabels: Bool
    /// The token requests must present, nil when the API is open (read from `AUTH_TOKEN_FILE`).
    public var authToken: BearerToken?
    /// PEM certificate and key paths for HTTPS, nil for plain HTTP (`TLS_CERTIFICATE_FILE`, `TLS_KEY_FILE`).
    public var tls: (certificateFile: String, keyFile: String)?
    /// Where procfs is mounted (`PROC_ROOT`).
    public var procRoot: String
    /// Least severe log level printed (`LOG_LEVEL`).
    public var logLevel: Logger.Level

    public init(
        coefficients: [Double],
        cinergyRatio: Double,
        serverCores: Int,
        pue: Double,
        emissionFactorGramsPerKilowattHour: Double,
        modelInput: ModelInput = .vmPercent,
        bindAddress: String = "127.0.0.1",
        port: Int = 8080,
        sampleIntervalSeconds: Double = 1,
        libvirtURI: String? = "qemu:///system",
        procfsDiscovery: Bool = true,
        metricsNovaLabels: Bool = false,
        authToken: BearerToken? = nil,
        tls: (certificateFile: String, keyFile: String)? = nil,
        procRoot: String = "/proc",
        logLevel: Logger.Level = .info
    ) {
        self.coefficients = coefficients
        self.cinergyRatio = cinergyRatio
        self.serverCores = serverCores
        self.pue = pue
        self.emissionFactorGramsPerKilowattHour = emissionFactorGramsPerKilowattHour
        self.modelInput = modelInput
        self.bindAddress = bindAddress
        self.port = port
        self.sampleIntervalSeconds = sampleIntervalSeconds
        self.libvirtURI = libvirtURI
        self.procfsDiscovery = procfsDiscovery
        self.metricsNovaLabels = metricsNovaLabels
        self.authToken = authToken
        self.tls = tls
        self.procRoot = procRoot
        self.logLevel = logLevel
    }

    /// The power model these settings describe.
    public var powerModel: PowerModel {
        PowerModel(
            polynomial: Polynomial(coefficients: coefficients),
            cinergyRatio: cinergyRatio,
            serverCores: serverCores,
            input: modelInput
        )
    }

    /// Energy and carbon accounting with these settings' models.
    public var accounting: EnergyAccounting {
        EnergyAccounting(power: powerModel, carbon: carbonModel)
    }

    /// The carbon model these settings describe.
    public var carbonModel: CarbonModel {
        CarbonModel(pue: pue, emissionFactorGramsPerKilowattHour: emissionFactorGramsPerKilowattHour)
    }
}
