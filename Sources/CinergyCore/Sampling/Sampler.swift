import CinergySystem
import Logging
import ServiceLifecycle

/// The service that discovers VMs and samples their CPU time every interval.
///
/// Each round reads procfs, which blocks: it runs on a thread of the sampler's own (a
/// ``WorkerThread``), and the service's task awaits it there, so the reads never hold a thread of
/// the cooperative pool that serves HTTP requests.
public struct Sampler: Service {
    public struct Configuration: Sendable {
        /// Time between rounds, in seconds.
        public var intervalSeconds: Double
        /// The procfs tree to read (`/proc` on a host).
        public var procfs: ProcFS
        /// Whether to scan procfs for QEMU processes (the fallback discovery).
        public var scanProcfs: Bool

        public init(intervalSeconds: Double = 1, procfs: ProcFS = ProcFS(), scanProcfs: Bool = true) {
            self.intervalSeconds = intervalSeconds
            self.procfs = procfs
            self.scanProcfs = scanProcfs
        }
    }

    public let registry: VMRegistry
    public let configuration: Configuration
    public let logger: Logger

    public init(registry: VMRegistry, configuration: Configuration, logger: Logger) {
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let registry = registry
        let configuration = configuration
        registry.setStatus(SourceStatus(available: configuration.scanProcfs, detail: configuration.procfs.root), for: .procfs)
        let worker = WorkerThread(name: "cinergy-sampler")
        let collector = CollectorOnWorker(
            SampleCollector(
                registry: registry,
                procfs: configuration.procfs,
                discovery: configuration.scanProcfs ? ProcfsDiscovery(procfs: configuration.procfs) : nil
            )
        )
        await cancelWhenGracefulShutdown {
            let interval = Duration.nanoseconds(Int64(configuration.intervalSeconds * 1e9))
            let clock = ContinuousClock()
            var deadline = clock.now
            while !Task.isCancelled {
                report(await worker.run { collector.runRound() })
                deadline = deadline.advanced(by: interval)
                if deadline < clock.now { deadline = clock.now }
                do {
                    try await Task.sleep(until: deadline, clock: clock)
                } catch {
                    return
                }
            }
        }
    }

    private func report(_ result: RoundOutcome) {
        if let error = result.hostCPUError { logger.warning("host CPU load: \(error)") }
        if let statistics = result.statistics, configuration.scanProcfs {
            registry.setStatus(
                SourceStatus(available: true, lastUpdateUnixSeconds: statistics.finishedAtUnixSeconds, detail: configuration.procfs.root),
                for: .procfs
            )
        }
        result.changes.log(to: logger, reason: "procfs scan", registry: registry)
        RegistryChanges(removed: result.exited).log(to: logger, reason: "process exited", registry: registry)
    }
}

extension Sampler: CustomStringConvertible {
    public var description: String { "Sampler(interval: \(configuration.intervalSeconds) s, procfs: \(configuration.procfs.root))" }
}

/// The sampler's ``SampleCollector``, handed to its worker thread.
///
/// `@unchecked Sendable`: the collector (open stat files, last readings) is not thread-safe, and
/// only the sampler's worker thread touches it, one round after another.
private final class CollectorOnWorker: @unchecked Sendable {
    private var collector: SampleCollector

    init(_ collector: SampleCollector) {
        self.collector = collector
    }

    func runRound() -> RoundOutcome {
        collector.runRound()
    }
}
