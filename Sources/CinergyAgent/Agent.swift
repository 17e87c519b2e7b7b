import CinergyCore
import CinergyMeter
import CinergyLedger
import CinergySystem
import Hummingbird
import Logging
import SystemPackage

/// Runs the agent until SIGTERM or SIGINT.
public enum Agent {
    /// Sets up logging at the configured level, logs `warnings`, and serves until shut down.
    public static func run(configuration: AgentConfiguration, warnings: [String] = []) async throws {
        LoggingSystem.bootstrap { label in
            switch configuration.logFormat {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = configuration.logLevel
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = configuration.logLevel
                return handler
            }
        }
        let logger = Logger(label: "cinergy")
        for warning in warnings { logger.warning("\(warning)") }
        // One descriptor per VM is kept open: lift the soft limit on open files (systemd's is 1,024).
        let files = OpenFileLimit.raise()
        logger.debug("open-file limit", metadata: ["before": "\(files.before)", "after": "\(files.after)"])
        logger.info(
            "starting",
            metadata: [
                "address": "\(configuration.bindAddress):\(configuration.port)",
                "server_cores": "\(configuration.serverCores)",
                "sample_interval_seconds": "\(configuration.sampleIntervalSeconds)",
                "model_input": "\(configuration.modelInput.rawValue)",
                "libvirt": "\(configuration.libvirtURI ?? "off")",
                "procfs_discovery": "\(configuration.procfsDiscovery)",
                "tls": "\(configuration.tls != nil)",
                "auth": "\(configuration.authToken != nil ? "bearer token" : "open")",
                "host_meter": "\(configuration.hostMeter.rawValue)",
            ]
        )
        // The emission factor file is read once before sampling starts, then re-read on change.
        let emissionFactors = configuration.emissionFactorFile.map {
            EmissionFactorFile(path: .init($0), lastRowMaxAgeSeconds: configuration.emissionFactorFileMaxAgeSeconds)
        }
        if let emissionFactors {
            // Read and parsed on a thread of its own, not on the cooperative pool.
            let warnings = await WorkerThread(name: "cinergy-factors").run { emissionFactors.reload() }
            for warning in warnings { logger.warning("\(warning)") }
        }
        let registry = VMRegistry(accounting: configuration.accounting, emissionFactors: emissionFactors)
        // The model version in force (provenance): the model's parameters and the factor file's hash.
        registry.accounts.useModelVersion(factorFile: emissionFactors)
        // The ledger opens (off the cooperative pool) and seeds the registry with the totals of
        // earlier runs before the first sample and the first request; when it cannot, the agent
        // serves live figures and the ledger retries at every flush.
        let ledger = Ledger(configuration: configuration.ledgerConfiguration, registry: registry, logger: logger)
        if ledger.isEnabled {
            await ledger.open()
        } else {
            registry.accounts.stopKeepingPending()
            logger.notice("ledger off (STATE_DIRECTORY=none): totals start from 0")
        }
        let app = try buildApplication(
            configuration: configuration, registry: registry, ledger: ledger, emissionFactors: emissionFactors, logger: logger
        )
        try await app.runService()
    }
}
