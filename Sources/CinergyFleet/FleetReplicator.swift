import CinergyCore
import CinergyLedger
public import CinergySystem
import Dispatch
public import Logging
import PostgresNIO
import Synchronization
public import SystemPackage

/// Sends this host's ledger to the fleet's central PostgreSQL: every VM identity, model version
/// and bucket changed since the ledger's watermark, as idempotent upserts
/// (`INSERT … ON CONFLICT … DO UPDATE` of the row's whole current figures, keyed by host, VM,
/// resolution, bucket start and model version), then moves the watermark.
///
/// The local ledger stays the source of truth and the outbox: a round takes the ledger's change
/// counter `U` first, sends every row whose `change_seq` lies in (watermark, `U`] page by page
/// (a row changed again meanwhile has a sequence above `U` and goes in the next round, with its
/// newer figures), and only then sets the watermark to `U`. A round that fails or is killed
/// leaves the watermark where it was: the next one sends the same rows again, and since each
/// upsert writes a row's whole figures, sending twice leaves what sending once does.
///
/// Ledger reads run on a dispatch queue of its own (blocking SQLite calls never run on Swift's
/// cooperative pool), through a connection of their own to the ledger file (``LedgerChangeReader``),
/// so the agent's flush never waits for replication.
public final class FleetReplicator: Sendable {
    public let configuration: FleetConfiguration
    let ledgerPath: @Sendable () -> FilePath?
    let logger: Logger
    let clock: @Sendable () -> Double
    private let queue = DispatchQueue(label: "cinergy.fleet")

    private struct State {
        var connection: PostgresConnection?
        var connectionCount = 0
        var reader: LedgerChangeReader?
        var status: FleetStatus
        /// The state and detail last logged, so that each change is logged once.
        var logged: String?
        /// The agent is stopping: a failure is no longer retried (``finalRound()``).
        var finalRound = false
        /// Tests: a round fails with ``FleetError/interrupted`` after this many pages.
        var interruptAfterPages: Int?
    }

    private let state: Mutex<State>

    /// `ledgerPath` gives the ledger's database file while the agent's ledger is open (nil while
    /// it is off, locked by another agent or failing: replication then waits).
    public init(
        configuration: FleetConfiguration, ledgerPath: @escaping @Sendable () -> FilePath?, logger: Logger,
        clock: @escaping @Sendable () -> Double = SystemClock.unixSeconds
    ) {
        self.configuration = configuration
        self.ledgerPath = ledgerPath
        self.logger = logger
        self.clock = clock
        state = Mutex(
            State(
                status: FleetStatus(
                    state: .connecting, detail: nil, hostIdentity: configuration.hostIdentity, database: "\(configuration.url)",
                    lagSeconds: nil, pendingRows: nil, lastReplicatedUnixSeconds: nil, rowsSent: 0, schemaVersion: nil
                )
            )
        )
    }

    /// What the replication is doing.
    public func status() -> FleetStatus {
        state.withLock { $0.status }
    }

    /// Tests: the next rounds fail after `pages` pages were sent (nil: no interruption).
    func interrupt(afterPages pages: Int?) {
        state.withLock { $0.interruptAfterPages = pages }
    }

    /// One round: connect if needed (and check or migrate the central schema), send what changed,
    /// move the watermark, within `timeoutSeconds` (default: the configuration's
    /// `roundTimeoutSeconds`). Never throws: the outcome is the returned (and recorded) status.
    /// Cancelled (the agent stopping), the round stops, its connection closed, and the status is
    /// left as it was: the rows it did not send go in the next round, the final one included.
    @discardableResult
    public func replicateOnce(timeoutSeconds: Double? = nil) async -> FleetStatus {
        guard let path = ledgerPath() else {
            return record(state: .waitingForLedger, detail: "the ledger is not open (off, locked by another agent, or failing)")
        }
        let timeout = timeoutSeconds ?? configuration.roundTimeoutSeconds
        do {
            let outcome = try await withThrowingTaskGroup(of: RoundOutcome?.self) { group in
                // The connection's own timeout is a safety net half a second past the round's: the
                // round's timer below ends a round stuck in connecting, so that one bound (and
                // one message) applies, not whichever of two equal timers fires first.
                group.addTask { try await self.round(ledgerPath: path, connectTimeoutSeconds: min(10, timeout + 0.5)) }
                group.addTask {
                    // Ends at the timeout, or at once when the round is cancelled.
                    try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                    return nil
                }
                let first = try await group.next() ?? nil
                if first == nil {
                    // Too slow, or cancelled: drop the connection (which fails what waits on it).
                    await self.close()
                }
                group.cancelAll()
                return first
            }
            try Task.checkCancellation()
            guard let outcome else { throw FleetError.timedOut(seconds: timeout) }
            return record(outcome)
        } catch {
            if Task.isCancelled || error is CancellationError {
                await close()
                return status()
            }
            let failure = FleetError.classify(error)
            if case .interrupted = failure {} else { await close() }
            return await record(failure)
        }
    }

    /// The last round, at the agent's shutdown after the ledger's final flush (which writes out
    /// the running minute the ledger held): sends what that flush wrote, so that the central rows
    /// equal the local ones without waiting for the next start. At most about
    /// `finalRoundTimeoutSeconds` (a database down, slow or unreachable delays the agent's exit
    /// by no more: the round is abandoned, and what it did not send goes at the next start);
    /// then the connection is closed.
    @discardableResult
    public func finalRound() async -> FleetStatus {
        let seconds = configuration.finalRoundTimeoutSeconds
        let sentBefore = status().rowsSent
        let started = clock()
        // The round races a timer of its own, one second longer than the round's timeout: a
        // round stuck where that timeout cannot reach (a TCP connection accepted by a server that
        // never answers) is left behind, not waited for.
        state.withLock { state in
            state.finalRound = true
            // A failure that goes on is said once more, with what happens to the rows now.
            if state.status.state != .ok { state.logged = nil }
        }
        let (first, continuation) = AsyncStream.makeStream(of: FleetStatus?.self)
        let round = Task { continuation.yield(await self.replicateOnce(timeoutSeconds: seconds)) }
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(Int64((seconds + 1) * 1000)))
            continuation.yield(nil)
        }
        var iterator = first.makeAsyncIterator()
        let status = await iterator.next() ?? nil
        continuation.finish()
        timer.cancel()
        round.cancel()
        await close()
        let metadata: Logger.Metadata = [
            "database": "\(configuration.url)", "host_identity": "\(configuration.hostIdentity)",
            "seconds": "\(((clock() - started) * 1000).rounded() / 1000)",
        ]
        guard let status else {
            logger.error(
                "fleet: the final round at shutdown had no answer within \(seconds + 1) s; what it did not send goes at the next start",
                metadata: metadata
            )
            var abandoned = self.status()
            abandoned.state = FleetError.timedOut(seconds: seconds).state
            abandoned.detail = FleetError.timedOut(seconds: seconds).description
            return abandoned
        }
        if status.state == .ok {
            logger.notice("fleet: final round at shutdown sent \(status.rowsSent - sentBefore) rows", metadata: metadata)
        }
        return status
    }

    /// Closes the connection (the agent's shutdown; the next round opens a new one).
    public func close() async {
        let connection = state.withLock { state in
            defer { state.connection = nil }
            return state.connection
        }
        try? await connection?.close()
    }

    // MARK: The round

    struct RoundOutcome: Sendable {
        var sent: Int
        var pending: Int
        var startUnixSeconds: Double
        var schemaVersion: Int
    }

    private func round(ledgerPath path: FilePath, connectTimeoutSeconds: Double) async throws -> RoundOutcome {
        // The ledger first: what is pending is known even when the database cannot be reached.
        let reader = try await readerFor(path)
        let connection = try await connection(timeoutSeconds: connectTimeoutSeconds)
        let start = clock()
        let target = configuration.target
        let ledgerState = try await blocking { try reader.state() }
        let watermark = ledgerState.watermark(for: target)
        let through = ledgerState.changeSequence
        var sent = 0
        var pages = 0
        let interruptAfter = state.withLock { $0.interruptAfterPages }
        func pageSent(_ rows: Int) throws {
            sent += rows
            pages += 1
            state.withLock { $0.status.rowsSent += rows }
            if let interruptAfter, pages >= interruptAfter { throw FleetError.interrupted }
        }
        if through > watermark {
            let batch = max(1, configuration.batchRows)
            let versions = try await blocking { try reader.changedModelVersions(after: watermark, through: through) }
            for page in stride(from: 0, to: versions.count, by: batch) {
                try await upsertModelVersions(Array(versions[page..<min(versions.count, page + batch)]), connection)
                try pageSent(min(batch, versions.count - page))
            }
            var lastVM: LedgerChangedVM?
            while true {
                let last = lastVM
                let vms = try await blocking { try reader.changedVMs(after: watermark, through: through, last: last, limit: batch) }
                guard !vms.isEmpty else { break }
                try await upsertVMs(vms, connection)
                try pageSent(vms.count)
                lastVM = vms.last
            }
            let digests = try await blocking { try reader.modelVersionDigests() }
            for resolution in [BucketResolution.minute, .hour] {
                var lastBucket: LedgerChangedBucket?
                while true {
                    let last = lastBucket
                    let buckets = try await blocking {
                        try reader.changedBuckets(resolution, after: watermark, through: through, last: last, limit: batch)
                    }
                    guard !buckets.isEmpty else { break }
                    try await upsertBuckets(buckets, digests: digests, connection)
                    try pageSent(buckets.count)
                    lastBucket = buckets.last
                }
            }
            try await connection.query(
                """
                INSERT INTO cinergy_host (host, ledger_change_seq, replicated_at) VALUES (\(configuration.hostIdentity), \(through), \(start))
                ON CONFLICT (host) DO UPDATE SET ledger_change_seq = excluded.ledger_change_seq, replicated_at = excluded.replicated_at
                """,
                logger: logger
            )
            try await blocking { try reader.setReplicated(sequence: through, target: target, atUnixSeconds: start) }
        } else if ledgerState.target != target || ledgerState.replicatedAtUnixSeconds == nil {
            try await blocking { try reader.setReplicated(sequence: through, target: target, atUnixSeconds: start) }
        }
        let pending = try await blocking { try reader.changedRowCount(after: through) }
        return RoundOutcome(sent: sent, pending: pending, startUnixSeconds: start, schemaVersion: FleetSchema.currentVersion)
    }

    /// The open connection, or a new one (its schema checked and migrated).
    private func connection(timeoutSeconds: Double) async throws -> PostgresConnection {
        if let connection = state.withLock({ $0.connection }), !connection.isClosed { return connection }
        let url = configuration.url
        var postgres = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: configuration.password?.text, database: url.database,
            tls: try Self.tls(url)
        )
        postgres.options.connectTimeout = .milliseconds(Int64(max(0.1, timeoutSeconds) * 1000))
        let id = state.withLock { state in
            state.connectionCount += 1
            return state.connectionCount
        }
        let connection = try await PostgresConnection.connect(configuration: postgres, id: id, logger: logger)
        do {
            try await FleetSchema.migrate(connection, hostIdentity: configuration.hostIdentity, logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        state.withLock { $0.connection = connection }
        return connection
    }

    /// TLS as the URL's `sslmode` asks.
    static func tls(_ url: FleetDatabaseURL) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.tlsMode {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let root = url.rootCertificateFile { tls.trustRoots = .file(root) }
        do {
            let context = try NIOSSLContext(configuration: tls)
            return url.tlsMode == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw FleetError.tls("\(error)")
        }
    }

    private func readerFor(_ path: FilePath) async throws -> LedgerChangeReader {
        if let reader = state.withLock({ $0.reader }), reader.path == path { return reader }
        let reader = try await blocking { try LedgerChangeReader(path: path) }
        state.withLock { $0.reader = reader }
        return reader
    }

    /// Runs `body` on the replication's own queue, off Swift's cooperative pool.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    // MARK: Status

    private func record(_ outcome: RoundOutcome) -> FleetStatus {
        let now = clock()
        return update(state: .ok, detail: nil) { status in
            status.pendingRows = outcome.pending
            status.lagSeconds = outcome.pending > 0 ? max(0, now - outcome.startUnixSeconds) : 0
            status.lastReplicatedUnixSeconds = outcome.startUnixSeconds
            status.schemaVersion = outcome.schemaVersion
        }
    }

    private func record(_ error: FleetError) async -> FleetStatus {
        let now = clock()
        // What waits, from the ledger (when it can be read).
        let reader = state.withLock { $0.reader }
        let target = configuration.target
        let backlog: (pending: Int, since: Double?)? = try? await blocking { () throws -> (pending: Int, since: Double?)? in
            guard let reader else { return nil }
            let ledgerState = try reader.state()
            let pending = try reader.changedRowCount(after: ledgerState.watermark(for: target))
            return (pending, ledgerState.target == target ? ledgerState.replicatedAtUnixSeconds : nil)
        }
        return update(state: error.state, detail: error.description) { status in
            if case .schemaNewer(let found, _) = error { status.schemaVersion = found }
            if let backlog {
                status.pendingRows = backlog.pending
                status.lagSeconds = backlog.pending == 0 ? 0 : backlog.since.map { max(0, now - $0) }
            }
        }
    }

    private func record(state name: FleetState, detail: String) -> FleetStatus {
        update(state: name, detail: detail) { _ in }
    }

    /// Sets the state; logs it when it differs from the last one logged (once per change).
    private func update(state name: FleetState, detail: String?, _ body: (inout FleetStatus) -> Void) -> FleetStatus {
        let (status, changed, wasFailing, final) = state.withLock { state in
            let wasFailing = state.status.state != .ok && state.status.state != .connecting
            state.status.state = name
            state.status.detail = detail
            body(&state.status)
            let key = "\(name.rawValue) \(detail ?? "")"
            defer { state.logged = key }
            return (state.status, state.logged != key, wasFailing, state.finalRound)
        }
        if changed {
            let metadata: Logger.Metadata = ["database": "\(configuration.url)", "host_identity": "\(configuration.hostIdentity)"]
            switch name {
            case .ok:
                logger.notice(wasFailing ? "fleet: replicating again" : "fleet: replicating", metadata: metadata)
            case .waitingForLedger:
                logger.notice("fleet: \(detail ?? name.rawValue); replication waits", metadata: metadata)
            default:
                let next = final ? "what is not sent goes at the next start" : "retrying with backoff"
                logger.error("fleet: \(detail ?? name.rawValue); \(next)", metadata: metadata)
            }
        }
        return status
    }
}
