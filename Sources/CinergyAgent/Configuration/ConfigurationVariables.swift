import CinergyCore
import CinergyFleet
import CinergyMeter
import CinergySystem
import Logging
import SystemPackage

/// Every variable of the agent's configuration, in one table: a new variable is one entry here
/// (plus its field in `AgentConfiguration` and its lines in README, `dotenv` and
/// `deploy/cinergy.env`, which a test keeps in step with this table).
extension ConfigurationVariable {
    /// Every variable, in the order the README and `--help` list them.
    public static let all: [ConfigurationVariable] = [
        .regCoeff, .modelInputMax, .cinergyRatio, .cinergyRatioCoeff, .dcPUE, .emissionFactor, .serverCores, .modelInput,
        .bindAddress, .port, .sampleInterval, .libvirtURI, .procfsDiscovery, .metricsNovaLabels, .authTokenFile,
        .tlsCertificateFile, .tlsKeyFile, .procRoot, .hostMeter, .sysfsRoot, .modelDriftPercent, .modelDriftWindow, .logLevel, .logFormat,
        // The ledger (issue 13).
        .stateDirectory, .ledgerFlushSeconds, .ledgerWriteOutMinutes, .ledgerMinuteRetentionHours, .ledgerHourRetentionDays,
        .emissionFactorFile, .emissionFactorFileMaxAge,
        // The whole carbon footprint (issue 19).
        .staticShare, .serverEmbodiedEmissions, .serverLifetime, .sustainabilityDatacenter, .sustainabilityComponent,
        // The guest channel (issue 21).
        .guestChannel, .guestChannelHotplug,
        // The fleet's central database (issue 20).
        .fleetDatabaseURL, .fleetDatabasePasswordFile, .fleetHostIdentity,
    ]

    /// Checks that involve several variables, run once each variable has been parsed.
    static let crossChecks: [@Sendable (AgentConfiguration) -> ConfigurationError?] = [
        { configuration in
            configuration.cinergyRatio != nil && configuration.cinergyRatioCoefficients != nil
                ? .exclusive(variables: [cinergyRatio.name, cinergyRatioCoeff.name]) : nil
        },
        { configuration in
            let idle = configuration.coefficients.first ?? 0
            return idle < 0
                ? .invalid(
                    variable: regCoeff.name, value: configuration.coefficients.map { "\($0)" }.joined(separator: ","),
                    rule: "must give f(0) >= 0 (the host's idle power); f(0) = \(idle) W")
                : nil
        },
        { configuration in
            configuration.tlsCertificateChain != nil && configuration.tlsPrivateKey == nil
                ? .missing(variable: tlsKeyFile.name, rule: "must be set when \(tlsCertificateFile.name) is") : nil
        },
        { configuration in
            configuration.guestChannelHotplug && !configuration.guestChannel
                ? .invalid(
                    variable: guestChannelHotplug.name, value: "true",
                    rule: "must be false when \(guestChannel.name) is false (hot-plug adds the channel the agent then writes to)")
                : nil
        },
        { configuration in
            configuration.guestChannelHotplug && configuration.libvirtURI == nil
                ? .invalid(
                    variable: guestChannelHotplug.name, value: "true",
                    rule: "must be false when \(libvirtURI.name) is none (hot-plug goes through libvirt)")
                : nil
        },
        { configuration in
            guard let url = configuration.fleetDatabaseURL, configuration.stateDirectory == nil else { return nil }
            return .invalid(
                variable: fleetDatabaseURL.name, value: "\(url)",
                rule: "must be none when \(stateDirectory.name) is none (the ledger is what is replicated)")
        },
        { configuration in
            configuration.tlsPrivateKey != nil && configuration.tlsCertificateChain == nil
                ? .missing(variable: tlsCertificateFile.name, rule: "must be set when \(tlsKeyFile.name) is") : nil
        },
    ]

    public static let regCoeff = ConfigurationVariable(
        "REG_COEFF", \.coefficients,
        summary: "Coefficients of the host power model `f`, constant term first",
        unit: "W",
        rule: "must be a comma-separated list of one or more finite numbers",
        default: .required
    ) { text, _ in
        ConfigurationParse.numberList(text)
    }

    public static let modelInputMax = ConfigurationVariable(
        "MODEL_INPUT_MAX", \.modelInputMax,
        summary: "The largest input `f` was fitted on (`cinergy calibrate` writes it): beyond it `f` continues as a straight line with the fitted range's mean slope",
        unit: "the unit of MODEL_INPUT",
        rule: "must be a finite number greater than 0",
        default: .unset(description: "none: `f` is used as it is over every input")
    ) { text, _ -> Double?? in
        ConfigurationParse.finiteNumber(text).flatMap { $0 > 0 ? .some($0) : nil }
    }

    public static let cinergyRatio = ConfigurationVariable(
        "CINERGY_RATIO", \.cinergyRatio,
        summary: "Share of the dynamic power attributed to a VM, a constant (the seed's)",
        rule: "must be a number from 0 to 1",
        default: .requiredUnlessSet("CINERGY_RATIO_COEFF")
    ) { text, _ -> Double?? in
        ConfigurationParse.finiteNumber(text).flatMap { (0...1).contains($0) ? .some($0) : nil }
    }

    public static let cinergyRatioCoeff = ConfigurationVariable(
        "CINERGY_RATIO_COEFF", \.cinergyRatioCoefficients,
        summary: "Coefficients of the cinergy ratio's curve `r(h)` over the host's CPU load `h` (percent of all CPUs), constant term first; the ratio is clamped to 0 to 1. Set this or `CINERGY_RATIO`, not both",
        rule: "must be a comma-separated list of one or more finite numbers",
        default: .unset(description: "none: the constant `CINERGY_RATIO` applies")
    ) { text, _ -> [Double]?? in
        ConfigurationParse.numberList(text).map { .some($0) }
    }

    public static let dcPUE = ConfigurationVariable(
        "DC_PUE", \.pue,
        summary: "Datacenter power usage effectiveness",
        rule: "must be a finite number of at least 1",
        default: .required
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { $0 >= 1 ? $0 : nil }
    }

    public static let emissionFactor = ConfigurationVariable(
        "EMISSION_FACTOR", \.emissionFactorGramsPerKilowattHour,
        summary: "Grid carbon intensity",
        unit: "gCO2eq/kWh",
        rule: "must be a finite number of at least 0",
        default: .required
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    public static let serverCores = ConfigurationVariable(
        "SERVER_CORES", \.serverCores,
        summary: "CPUs of the host that static power is shared across",
        rule: "must be a whole number from 1 to 65536",
        default: .computed(description: "the host's online CPU count") { String($0.onlineCPUs) }
    ) { text, _ in
        Int(text).flatMap { (1...65536).contains($0) ? $0 : nil }
    }

    public static let modelInput = ConfigurationVariable(
        "MODEL_INPUT", \.modelInput,
        summary: "What `f` is evaluated at: `vm_percent` = `cpu_usage`; `host_percent` = `cpu_usage / SERVER_CORES` (for models fitted on whole-host load)",
        rule: "must be vm_percent or host_percent",
        default: .value("vm_percent")
    ) { text, _ in
        ModelInput(rawValue: text)
    }

    public static let bindAddress = ConfigurationVariable(
        "BIND_ADDRESS", \.bindAddress,
        summary: "Address the HTTP server listens on",
        rule: "must be an IPv4 or IPv6 address",
        default: .value("127.0.0.1")
    ) { text, _ in
        ConfigurationParse.isIPAddress(text) ? text : nil
    }

    public static let port = ConfigurationVariable(
        "PORT", \.port,
        summary: "HTTP port",
        rule: "must be a whole number from 1 to 65535",
        default: .value("8080")
    ) { text, _ in
        Int(text).flatMap { (1...65535).contains($0) ? $0 : nil }
    }

    public static let sampleInterval = ConfigurationVariable(
        "SAMPLE_INTERVAL", \.sampleIntervalSeconds,
        summary: "Time between two CPU samples of every VM",
        unit: "seconds",
        rule: "must be a number of seconds from 0.1 to 3600",
        default: .value("1")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { (0.1...3600).contains($0) ? $0 : nil }
    }

    public static let libvirtURI = ConfigurationVariable(
        "LIBVIRT_URI", \.libvirtURI,
        summary: "libvirt connection (opened read-only) whose domain events keep the VM list current; `none` turns libvirt off",
        rule: "must be a libvirt URI such as qemu:///system, or none",
        default: .value("qemu:///system")
    ) { text, _ -> String?? in
        if text.lowercased() == "none" { return .some(nil) }
        return ConfigurationParse.isLibvirtURI(text) ? .some(text) : nil
    }

    public static let procfsDiscovery = ConfigurationVariable(
        "PROCFS_DISCOVERY", \.procfsDiscovery,
        summary: "Whether to scan `/proc` every interval for QEMUs libvirt does not manage (and while libvirtd is down)",
        rule: "must be true or false",
        default: .value("true")
    ) { text, _ in
        ConfigurationParse.boolean(text)
    }

    public static let metricsNovaLabels = ConfigurationVariable(
        "METRICS_NOVA_LABELS", \.metricsNovaLabels,
        summary: "Add OpenStack labels (`nova_name`, `nova_project_id`, `nova_project_name`, `nova_flavor`) to per-VM metrics",
        rule: "must be true or false",
        default: .value("false")
    ) { text, _ in
        ConfigurationParse.boolean(text)
    }

    public static let guestChannel = ConfigurationVariable(
        "GUEST_CHANNEL", \.guestChannel,
        summary: "Write each libvirt VM's own `/power` and `/carbon` figures, one JSON line per sample, into its virtio-serial port `org.cinergy.power.0` when its domain declares that channel (README, Inside the VM)",
        rule: "must be true or false",
        default: .value("true")
    ) { text, _ in
        ConfigurationParse.boolean(text)
    }

    public static let guestChannelHotplug = ConfigurationVariable(
        "GUEST_CHANNEL_HOTPLUG", \.guestChannelHotplug,
        summary: "Hot-plug the channel `org.cinergy.power.0` into running domains that lack it (live only, over a read-write libvirt connection: needs the right to manage libvirt, and a virtio-serial controller in the domain)",
        rule: "must be true or false",
        default: .value("false")
    ) { text, _ in
        ConfigurationParse.boolean(text)
    }

    public static let authTokenFile = ConfigurationVariable(
        "AUTH_TOKEN_FILE", \.authToken,
        summary: "File holding a bearer token that every request but `/health` and `/` must present (`Authorization: Bearer TOKEN`)",
        rule: "must name a readable file holding a token of 16 to 4096 visible ASCII characters",
        default: .unset(description: "none: the API is open")
    ) { path, _ -> BearerToken?? in
        ConfigurationParse.bearerToken(inFile: path).map { .some($0) }
    }

    public static let tlsCertificateFile = ConfigurationVariable(
        "TLS_CERTIFICATE_FILE", \.tlsCertificateChain,
        summary: "PEM certificate (chain) to serve HTTPS with",
        rule: "must name a readable PEM certificate file, set together with TLS_KEY_FILE",
        default: .unset(description: "none: plain HTTP")
    ) { path, _ in
        ConfigurationParse.certificateChain(inFile: path).map { .some($0) }
    }

    public static let tlsKeyFile = ConfigurationVariable(
        "TLS_KEY_FILE", \.tlsPrivateKey,
        summary: "PEM private key of that certificate",
        rule: "must name a readable PEM private key file, set together with TLS_CERTIFICATE_FILE",
        default: .unset(description: "none")
    ) { path, _ in
        ConfigurationParse.privateKey(inFile: path).map { .some($0) }
    }

    public static let procRoot = ConfigurationVariable(
        "PROC_ROOT", \.procRoot,
        summary: "Where the host's procfs is mounted (for containers that mount it elsewhere)",
        rule: "must be a readable directory",
        default: .value("/proc")
    ) { path, _ in
        SystemFile.isReadableDirectory(.init(path)) ? path : nil
    }

    public static let hostMeter = ConfigurationVariable(
        "HOST_METER", \.hostMeter,
        summary: "The meter the host's measured power is read from, beside the model (`GET /host`): RAPL through powercap (CPU package or platform), hwmon, or the server's wall power over IPMI DCMI (`ipmitool`, read every 10 s at most); `auto` = the first found in that order",
        rule: "must be none, auto, rapl, hwmon or ipmi",
        default: .value("none")
    ) { text, _ in
        MeterChoice(rawValue: text.lowercased())
    }

    public static let sysfsRoot = ConfigurationVariable(
        "SYSFS_ROOT", \.sysfsRoot,
        summary: "Where sysfs is mounted (the RAPL and hwmon meters are found under it)",
        rule: "must be a readable directory",
        default: .value("/sys")
    ) { path, _ in
        SystemFile.isReadableDirectory(.init(path)) ? path : nil
    }

    public static let modelDriftPercent = ConfigurationVariable(
        "MODEL_DRIFT_PERCENT", \.modelDriftPercent,
        summary: "Mean absolute error of the model against the meter, over `MODEL_DRIFT_WINDOW`, above which `/health` flags the model as drifting",
        unit: "percent",
        rule: "must be a number greater than 0",
        default: .value("15")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { $0 > 0 ? $0 : nil }
    }

    public static let modelDriftWindow = ConfigurationVariable(
        "MODEL_DRIFT_WINDOW", \.modelDriftWindowSeconds,
        summary: "How far back the model's mean error against the meter looks",
        unit: "seconds",
        rule: "must be a number of seconds from 1 to 86400",
        default: .value("600")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { (1...86400).contains($0) ? $0 : nil }
    }

    public static let logLevel = ConfigurationVariable(
        "LOG_LEVEL", \.logLevel,
        summary: "Least severe log level printed (to stderr)",
        rule: "must be one of trace, debug, info, notice, warning, error, critical",
        default: .value("info")
    ) { text, _ in
        Logger.Level(rawValue: text.lowercased())
    }

    public static let logFormat = ConfigurationVariable(
        "LOG_FORMAT", \.logFormat,
        summary: "How log records are written to stderr: `text` lines, or `json` lines (time, level, label, message, metadata) for journald and log shippers",
        rule: "must be text or json",
        default: .value("text")
    ) { text, _ in
        LogFormat(rawValue: text.lowercased())
    }

    // MARK: The ledger

    public static let stateDirectory = ConfigurationVariable(
        "STATE_DIRECTORY", \.stateDirectory,
        summary: "Directory of the energy ledger (`ledger.sqlite`), what systemd's `StateDirectory=` sets; `none` turns persistence off (totals then start from 0 at each start)",
        rule: "must be an absolute path, or none",
        default: .value("/var/lib/cinergy")
    ) { text, _ -> String?? in
        if text.lowercased() == "none" { return .some(nil) }
        return text.hasPrefix("/") && !text.contains(where: \.isNewline) ? .some(text) : nil
    }

    public static let ledgerFlushSeconds = ConfigurationVariable(
        "LEDGER_FLUSH_SECONDS", \.ledgerFlushSeconds,
        summary:
            "Time between two writes of the ledger (one transaction each); a SIGKILL loses nothing of a VM whose QEMU keeps running (reconstructed at restart from its CPU ticks)",
        unit: "seconds",
        rule: "must be a number of seconds from 1 to 3600",
        default: .value("10")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { (1...3600).contains($0) ? $0 : nil }
    }

    public static let ledgerWriteOutMinutes = ConfigurationVariable(
        "LEDGER_WRITE_OUT_MINUTES", \.ledgerWriteOutMinutes,
        summary:
            "Minutes the ledger holds in one row (rewritten at every flush, read by every query) before writing them out to each VM's row and buckets, in blocks aligned to the hour; the fleet database gets them then (docs/FLEET.md). Larger: cheaper flushes (docs/BENCHMARKS.md)",
        unit: "minutes",
        rule: "must be a whole number of minutes that divides 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)",
        default: .value("5")
    ) { text, _ in
        Int(text).flatMap { (1...60).contains($0) && 60 % $0 == 0 ? $0 : nil }
    }

    public static let ledgerMinuteRetentionHours = ConfigurationVariable(
        "LEDGER_MINUTE_RETENTION_HOURS", \.ledgerMinuteRetentionHours,
        summary: "How long the ledger keeps minute buckets (74 kB per VM at 48 h, measured: docs/BENCHMARKS.md)",
        unit: "hours",
        rule: "must be a number of hours from 1 to 8784",
        default: .value("48")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { (1...8784).contains($0) ? $0 : nil }
    }

    public static let ledgerHourRetentionDays = ConfigurationVariable(
        "LEDGER_HOUR_RETENTION_DAYS", \.ledgerHourRetentionDays,
        summary: "How long the ledger keeps hour buckets (238 kB per VM and year, measured: docs/BENCHMARKS.md)",
        unit: "days",
        rule: "must be a number of days from 1 to 36600",
        default: .value("400")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { (1...36600).contains($0) ? $0 : nil }
    }

    public static let emissionFactorFile = ConfigurationVariable(
        "EMISSION_FACTOR_FILE", \.emissionFactorFile,
        summary: "CSV of `start,gco2eq_per_kwh` rows (RFC 3339 starts), re-read when it changes: the factor in force at each sample's time replaces `EMISSION_FACTOR`, which applies where the file has no row",
        rule: "must be an absolute path",
        default: .unset(description: "none: EMISSION_FACTOR at all times")
    ) { text, _ -> String?? in
        text.hasPrefix("/") && !text.contains(where: \.isNewline) ? .some(text) : nil
    }

    public static let emissionFactorFileMaxAge = ConfigurationVariable(
        "EMISSION_FACTOR_FILE_MAX_AGE", \.emissionFactorFileMaxAgeSeconds,
        summary: "How long the file's last row stays in force after its start; past it `EMISSION_FACTOR` applies",
        unit: "seconds",
        rule: "must be a number of seconds from 60 to 31622400",
        default: .value("7200")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { (60...31_622_400).contains($0) ? $0 : nil }
    }

    // MARK: The whole carbon footprint (issue 19)

    public static let staticShare = ConfigurationVariable(
        "STATIC_SHARE", \.staticShare,
        summary: "How a VM's share of the idle power `f(0)` (and of the server's embodied emissions) is worked out: `server_cores` = `vm_cores / SERVER_CORES` (the seed's; with more vCPUs than CPUs the shares add up to more than the host); `running_vcpus` = `vm_cores / max(SERVER_CORES, vCPUs of the VMs in the registry)`, which never adds up to more than `f(0)`",
        rule: "must be server_cores or running_vcpus",
        default: .value("server_cores")
    ) { text, _ in
        StaticShare(rawValue: text.lowercased())
    }

    public static let serverEmbodiedEmissions = ConfigurationVariable(
        "SERVER_EMBODIED_EMISSIONS", \.embodiedEmissionsKilograms,
        summary: "The server's embodied emissions (manufacture, transport, end of life: Boavizta's figure for its configuration, or the vendor's product carbon footprint), shared among the VMs like idle power over `SERVER_LIFETIME` (the SCI's `M`)",
        unit: "kgCO2eq",
        rule: "must be a number of kgCO2eq from 0 to 1000000",
        default: .unset(description: "none: embodied emissions are not accounted (null in every output)")
    ) { text, _ -> Double?? in
        ConfigurationParse.finiteNumber(text).flatMap { (0...1_000_000).contains($0) ? .some($0) : nil }
    }

    public static let serverLifetime = ConfigurationVariable(
        "SERVER_LIFETIME", \.serverLifetimeYears,
        summary: "The server's expected lifetime `EL`, over which its embodied emissions are spread (years of 365.25 days)",
        unit: "years",
        rule: "must be a number of years from 0.1 to 50",
        default: .value("5")
    ) { text, _ in
        ConfigurationParse.finiteNumber(text).flatMap { (0.1...50).contains($0) ? $0 : nil }
    }

    public static let sustainabilityDatacenter = ConfigurationVariable(
        "SUSTAINABILITY_DATACENTER", \.sustainabilityDatacenter,
        summary: "The `datacenter` label of the SCS-0414 provider gauges (`sustainability_provider_*`) in `/metrics`",
        rule: "must be 1 to 128 printable characters",
        default: .unset(description: "none: the label is empty")
    ) { text, _ -> String?? in
        ConfigurationParse.isLabelValue(text) ? .some(text) : nil
    }

    public static let sustainabilityComponent = ConfigurationVariable(
        "SUSTAINABILITY_COMPONENT", \.sustainabilityComponent,
        summary: "The `component` label of the SCS-0414 provider gauges, such as the hypervisor's name",
        rule: "must be 1 to 128 printable characters",
        default: .unset(description: "none: the label is empty")
    ) { text, _ -> String?? in
        ConfigurationParse.isLabelValue(text) ? .some(text) : nil
    }

    public static let fleetDatabaseURL = ConfigurationVariable(
        "FLEET_DATABASE_URL", \.fleetDatabaseURL,
        summary:
            "The fleet's central PostgreSQL, which the ledger is replicated to (docs/FLEET.md); `sslmode` as libpq's: `verify-full` checks the server's certificate and name against `sslrootcert` (else the system's roots), `verify-ca` the certificate only, `require` encrypts without checking, `prefer` (the default) encrypts when the server offers it",
        rule:
            "must be none, or postgres://USER@HOST[:PORT]/DATABASE without a password (FLEET_DATABASE_PASSWORD_FILE holds it), optionally with ?sslmode= one of disable, prefer, require, verify-ca, verify-full and &sslrootcert= the absolute path of a readable PEM file",
        default: .unset(description: "none: no replication")
    ) { text, _ -> FleetDatabaseURL?? in
        if text.lowercased() == "none" { return .some(nil) }
        guard case .success(let url) = FleetDatabaseURL.parse(text) else { return nil }
        if let root = url.rootCertificateFile, !ConfigurationParse.isReadable(root) { return nil }
        return .some(url)
    }

    public static let fleetDatabasePasswordFile = ConfigurationVariable(
        "FLEET_DATABASE_PASSWORD_FILE", \.fleetDatabasePassword,
        summary: "File holding the password of `FLEET_DATABASE_URL`'s user (its first line; never logged nor shown)",
        rule: "must name a readable file whose first line is a password of 1 to 1024 characters",
        default: .unset(description: "none: no password is sent (trust or certificate authentication)")
    ) { path, _ -> FleetPassword?? in
        ConfigurationParse.fleetPassword(inFile: path).map { .some($0) }
    }

    public static let fleetHostIdentity = ConfigurationVariable(
        "FLEET_HOST_IDENTITY", \.fleetHostIdentity,
        summary: "The name of this host's rows in the fleet's database: unique in the fleet, and kept when the host is renamed or reinstalled (a new name starts its rows anew)",
        rule: "must be 1 to 255 printable characters",
        default: .computed(description: "the host's name") { _ in ConfigurationParse.hostName() }
    ) { text, _ in
        (1...255).contains(text.count) && text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) ? text : nil
    }
}
