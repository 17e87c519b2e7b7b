import Foundation

/// A variable of the agent's configuration: its name in `.env` and the environment, its
/// command-line option, and the rule its value must follow.
public struct ConfigurationVariable: Sendable {
    /// The name in `.env` files and the environment, such as `REG_COEFF`.
    public let name: String
    /// What the value means.
    public let summary: String
    /// The rule a value must follow, as error messages state it.
    public let rule: String
    /// The default, as shown to users; nil when the variable is required.
    public let defaultValue: String?

    /// The command-line option, such as `--reg-coeff`.
    public var option: String { "--" + name.lowercased().replacingOccurrences(of: "_", with: "-") }
}

extension ConfigurationVariable {
    public static let regCoeff = ConfigurationVariable(
        name: "REG_COEFF",
        summary: "Polynomial coefficients of the host power model f (watts), constant term first",
        rule: "must be a comma-separated list of one or more finite numbers",
        defaultValue: nil
    )
    public static let cinergyRatio = ConfigurationVariable(
        name: "CINERGY_RATIO",
        summary: "Share of dynamic power attributed to a VM",
        rule: "must be a number from 0 to 1",
        defaultValue: nil
    )
    public static let serverCores = ConfigurationVariable(
        name: "SERVER_CORES",
        summary: "CPUs of the host that static power is shared across",
        rule: "must be a whole number from 1 to 65536",
        defaultValue: "the host's online CPU count"
    )
    public static let dcPUE = ConfigurationVariable(
        name: "DC_PUE",
        summary: "Datacenter power usage effectiveness",
        rule: "must be a finite number of at least 1",
        defaultValue: nil
    )
    public static let emissionFactor = ConfigurationVariable(
        name: "EMISSION_FACTOR",
        summary: "Grid carbon intensity in gCO2eq/kWh",
        rule: "must be a finite number of at least 0",
        defaultValue: nil
    )
    public static let modelInput = ConfigurationVariable(
        name: "MODEL_INPUT",
        summary: "What f is evaluated at: vm_percent = cpu_usage, host_percent = cpu_usage / SERVER_CORES",
        rule: "must be vm_percent or host_percent",
        defaultValue: "vm_percent"
    )
    public static let bindAddress = ConfigurationVariable(
        name: "BIND_ADDRESS",
        summary: "Address the HTTP server listens on",
        rule: "must be an IPv4 or IPv6 address",
        defaultValue: "127.0.0.1"
    )
    public static let port = ConfigurationVariable(
        name: "PORT",
        summary: "HTTP port",
        rule: "must be a whole number from 1 to 65535",
        defaultValue: "8080"
    )
    public static let sampleInterval = ConfigurationVariable(
        name: "SAMPLE_INTERVAL",
        summary: "Seconds between two CPU samples of every VM",
        rule: "must be a number of seconds from 0.1 to 3600",
        defaultValue: "1"
    )
    public static let procRoot = ConfigurationVariable(
        name: "PROC_ROOT",
        summary: "Where the host's procfs is mounted",
        rule: "must be a readable directory",
        defaultValue: "/proc"
    )
    public static let libvirtURI = ConfigurationVariable(
        name: "LIBVIRT_URI",
        summary: "libvirt connection (read-only) whose domain events keep the VM list current; none = procfs scan only",
        rule: "must be a libvirt URI such as qemu:///system, or none",
        defaultValue: "qemu:///system"
    )
    public static let procfsDiscovery = ConfigurationVariable(
        name: "PROCFS_DISCOVERY",
        summary: "Whether to scan procfs every interval for QEMUs that libvirt does not manage",
        rule: "must be true or false",
        defaultValue: "true"
    )
    public static let metricsNovaLabels = ConfigurationVariable(
        name: "METRICS_NOVA_LABELS",
        summary: "Add OpenStack Nova labels (nova_name, nova_project_id, nova_project_name, nova_flavor) to per-VM metrics",
        rule: "must be true or false",
        defaultValue: "false"
    )
    public static let authTokenFile = ConfigurationVariable(
        name: "AUTH_TOKEN_FILE",
        summary: "File holding a bearer token every request but /health must present (Authorization: Bearer TOKEN)",
        rule: "must name a readable file holding a token of 16 to 4096 visible ASCII characters",
        defaultValue: "none (the API is open)"
    )
    public static let tlsCertificateFile = ConfigurationVariable(
        name: "TLS_CERTIFICATE_FILE",
        summary: "PEM certificate (chain) to serve HTTPS with; set together with TLS_KEY_FILE",
        rule: "must name a readable PEM certificate file, set together with TLS_KEY_FILE",
        defaultValue: "none (plain HTTP)"
    )
    public static let tlsKeyFile = ConfigurationVariable(
        name: "TLS_KEY_FILE",
        summary: "PEM private key of TLS_CERTIFICATE_FILE",
        rule: "must name a readable PEM private key file, set together with TLS_CERTIFICATE_FILE",
        defaultValue: "none (plain HTTP)"
    )
    public static let logLevel = ConfigurationVariable(
        name: "LOG_LEVEL",
        summary: "Least severe log level printed",
        rule: "must be one of trace, debug, info, notice, warning, error, critical",
        defaultValue: "info"
    )

    /// Every variable, in the order the README lists them.
    public static let all: [ConfigurationVariable] = [
        .regCoeff, .cinergyRatio, .serverCores, .dcPUE, .emissionFactor, .modelInput,
        .bindAddress, .port, .sampleInterval, .libvirtURI, .procfsDiscovery, .metricsNovaLabels, .authTokenFile,
        .tlsCertificateFile, .tlsKeyFile, .procRoot, .logLevel,
    ]
}
