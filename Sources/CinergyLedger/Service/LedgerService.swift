public import ServiceLifecycle

/// The service that flushes the ledger every `LEDGER_FLUSH_SECONDS`, and once more on graceful
/// shutdown (SIGTERM) before the agent exits.
public struct LedgerService: Service {
    public let ledger: Ledger
    /// Runs after the final flush, while the ledger is still open and locked (the fleet's last
    /// replication round, which sends what that flush wrote); bounded by whoever gives it.
    public let afterFinalFlush: (@Sendable () async -> Void)?

    public init(ledger: Ledger, afterFinalFlush: (@Sendable () async -> Void)? = nil) {
        self.ledger = ledger
        self.afterFinalFlush = afterFinalFlush
    }

    public func run() async throws {
        guard ledger.isEnabled else {
            try? await gracefulShutdown()
            return
        }
        let ledger = ledger
        let interval = Duration.nanoseconds(Int64(ledger.configuration.flushIntervalSeconds * 1e9))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                await ledger.flush()
            }
        }
        // Graceful shutdown: what the last interval added, and the minute held, are written out
        // before the agent exits, and the lock goes with it (a waiting agent takes over from the
        // checkpoints just written).
        await ledger.flush(final: true)
        await afterFinalFlush?()
        await ledger.close()
    }
}

extension LedgerService: CustomStringConvertible {
    public var description: String { "LedgerService(flush: \(ledger.configuration.flushIntervalSeconds) s)" }
}
