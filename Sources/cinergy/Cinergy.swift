import ArgumentParser
import CinergyAgent

#if canImport(Glibc)
import Glibc
#endif

/// `cinergy`: serves the isolated power and carbon of this host's QEMU/KVM VMs over HTTP.
@main
struct Cinergy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cinergy",
        abstract: "Serve the isolated power and carbon emissions of this host's QEMU/KVM VMs over HTTP.",
        discussion: """
            Configuration comes from an env file (.env in the working directory unless --env-file \
            names another), overridden by the process environment, overridden by the options below. \
            Variables:

            \(ConfigurationVariable.all.map { variable in
                "  \(variable.name) (\(variable.option)): \(variable.summary); \(variable.rule)"
                    + (variable.defaultValue.map { "; default \($0)" } ?? "; required")
            }.joined(separator: "\n"))

            An invalid value stops start-up with exit status 78, naming the variable, the value and the rule.
            """,
        subcommands: [CalibrateCommand.self]
    )

    @Option(name: .customLong("env-file"), help: ArgumentHelp("The env file to read (default: .env, optional).", valueName: "path"))
    var envFile: String?

    @Option(name: .customLong("reg-coeff"), help: ArgumentHelp("REG_COEFF", valueName: "c0,c1,..."))
    var regCoeff: String?
    @Option(name: .customLong("cinergy-ratio"), help: "CINERGY_RATIO")
    var cinergyRatio: String?
    @Option(name: .customLong("server-cores"), help: "SERVER_CORES")
    var serverCores: String?
    @Option(name: .customLong("dc-pue"), help: "DC_PUE")
    var dcPUE: String?
    @Option(name: .customLong("emission-factor"), help: "EMISSION_FACTOR")
    var emissionFactor: String?
    @Option(name: .customLong("model-input"), help: "MODEL_INPUT")
    var modelInput: String?
    @Option(name: .customLong("bind-address"), help: "BIND_ADDRESS")
    var bindAddress: String?
    @Option(name: .customLong("port"), help: "PORT")
    var port: String?
    @Option(name: .customLong("sample-interval"), help: "SAMPLE_INTERVAL")
    var sampleInterval: String?
    @Option(name: .customLong("libvirt-uri"), help: "LIBVIRT_URI")
    var libvirtURI: String?
    @Option(name: .customLong("procfs-discovery"), help: "PROCFS_DISCOVERY")
    var procfsDiscovery: String?
    @Option(name: .customLong("metrics-nova-labels"), help: "METRICS_NOVA_LABELS")
    var metricsNovaLabels: String?
    @Option(name: .customLong("auth-token-file"), help: "AUTH_TOKEN_FILE")
    var authTokenFile: String?
    @Option(name: .customLong("tls-certificate-file"), help: "TLS_CERTIFICATE_FILE")
    var tlsCertificateFile: String?
    @Option(name: .customLong("tls-key-file"), help: "TLS_KEY_FILE")
    var tlsKeyFile: String?
    @Option(name: .customLong("proc-root"), help: "PROC_ROOT")
    var procRoot: String?
    @Option(name: .customLong("log-level"), help: "LOG_LEVEL")
    var logLevel: String?

    func run() async throws {
        let given: [(ConfigurationVariable, String?)] = [
            (.regCoeff, regCoeff), (.cinergyRatio, cinergyRatio), (.serverCores, serverCores), (.dcPUE, dcPUE),
            (.emissionFactor, emissionFactor), (.modelInput, modelInput), (.bindAddress, bindAddress),
            (.port, port), (.sampleInterval, sampleInterval), (.libvirtURI, libvirtURI),
            (.procfsDiscovery, procfsDiscovery), (.metricsNovaLabels, metricsNovaLabels), (.authTokenFile, authTokenFile),
            (.tlsCertificateFile, tlsCertificateFile), (.tlsKeyFile, tlsKeyFile), (.procRoot, procRoot),
            (.logLevel, logLevel),
        ]
        var overrides: [String: String] = [:]
        for case (let variable, let value?) in given { overrides[variable.name] = value }

        let loaded: (AgentConfiguration, warnings: [String])
        do {
            loaded = try await AgentConfiguration.load(
                from: .init(overrides: overrides, envFilePath: envFile ?? ".env", envFileRequired: envFile != nil)
            )
        } catch {
            for problem in error.errors {
                FileHandleOutput.standardError("cinergy: configuration error: \(problem)\n")
            }
            throw ExitCode(78)
        }
        try await Agent.run(configuration: loaded.0, warnings: loaded.warnings)
    }
}

enum FileHandleOutput {
    static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
