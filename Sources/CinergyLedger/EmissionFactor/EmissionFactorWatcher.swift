public import CinergyCore
import CinergySystem
public import Logging
public import ServiceLifecycle

/// The service that re-reads `EMISSION_FACTOR_FILE` when it changes (checked every
/// `intervalSeconds`, on a thread of its own: the read and parse never hold the cooperative
/// pool), logs its bad rows, and makes a new content a new model version of `accounts`.
public struct EmissionFactorWatcher: Service {
    public let file: EmissionFactorFile
    public let intervalSeconds: Double
    public let logger: Logger
    /// The accounts whose model version names the file's content; nil for none.
    public let accounts: Accounts?

    public init(file: EmissionFactorFile, intervalSeconds: Double = 2, logger: Logger, accounts: Accounts? = nil) {
        self.file = file
        self.intervalSeconds = intervalSeconds
        self.logger = logger
        self.accounts = accounts
    }

    public func run() async throws {
        let file = file
        let logger = logger
        let accounts = accounts
        let interval = Duration.nanoseconds(Int64(intervalSeconds * 1e9))
        let worker = WorkerThread(name: "cinergy-factors")
        await cancelWhenGracefulShutdown {
            var hash = file.contentSHA256
            while !Task.isCancelled {
                for warning in await worker.run({ file.reload() }) { logger.warning("\(warning)") }
                let now = file.contentSHA256
                if now != hash, let accounts {
                    hash = now
                    accounts.useModelVersion(factorFile: file)
                    logger.info("emission factor file changed: a new model version", metadata: ["sha256": "\(now ?? "none")"])
                }
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }
}
