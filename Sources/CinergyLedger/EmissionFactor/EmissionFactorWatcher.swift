public import Logging
public import ServiceLifecycle

/// The service that re-reads `EMISSION_FACTOR_FILE` when it changes (checked every
/// `intervalSeconds`) and logs its bad rows.
public struct EmissionFactorWatcher: Service {
    public let file: EmissionFactorFile
    public let intervalSeconds: Double
    public let logger: Logger

    public init(file: EmissionFactorFile, intervalSeconds: Double = 2, logger: Logger) {
        self.file = file
        self.intervalSeconds = intervalSeconds
        self.logger = logger
    }

    public func run() async throws {
        let file = file
        let logger = logger
        let interval = Duration.nanoseconds(Int64(intervalSeconds * 1e9))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                for warning in file.reload() { logger.warning("\(warning)") }
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }
}
