public import ServiceLifecycle

/// The service that replicates the ledger to the fleet's database: a round every
/// `intervalSeconds` while all goes well, and after a failure again after 1 s, 2 s, 4 s… up to
/// `maximumBackoffSeconds`. It never runs on the sampling or HTTP paths, and the agent serves
/// whatever the database does.
///
/// On graceful shutdown it stops (a round under way is cancelled: its rows go in the next one)
/// and leaves the connection open for the last round, ``FleetReplicator/finalRound()``, which
/// the ledger's service runs after its final flush and which closes it.
public struct FleetReplicationService: Service {
    public let replicator: FleetReplicator

    public init(replicator: FleetReplicator) {
        self.replicator = replicator
    }

    public func run() async throws {
        let replicator = replicator
        let configuration = replicator.configuration
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                let status = await replicator.replicateOnce()
                let waitSeconds: Double
                if status.isHealthy || status.state == .waitingForLedger {
                    failures = 0
                    waitSeconds = configuration.intervalSeconds
                } else {
                    failures += 1
                    waitSeconds = min(configuration.maximumBackoffSeconds, Double(1 << min(failures - 1, 20)))
                }
                do {
                    try await Task.sleep(for: .milliseconds(Int64(waitSeconds * 1000)))
                } catch {
                    break
                }
            }
        }
    }
}

extension FleetReplicationService: CustomStringConvertible {
    public var description: String { "FleetReplicationService(\(replicator.configuration.url))" }
}
