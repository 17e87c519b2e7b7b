public import CinergyCore
import CinergySystem
import Dispatch
public import Logging
import Synchronization
import SystemPackage

/// The persistent energy ledger: at each flush, writes what the VMs' accounts (``Accounts``)
/// counted since the last one, by minute, hour and model version, with each VM's checkpoint, in
/// one transaction; when it takes the database's lock (at start, or over from another agent) it
/// rebases the accounts on the stored ones (``Accounts/rebase(on:context:hostCPU:)``).
///
/// All database work (open, flush, retry) runs on one serial dispatch queue of its own, never on
/// Swift's cooperative pool; being serial, a flush never interleaves with an open. When the database cannot be used (directory missing, read-only,
/// disk full, another agent's lock, a damaged file) the agent keeps serving live figures, the
/// state is in ``status()`` and logged once, and every flush tries again. A damaged file is moved
/// aside (never deleted) and a new one started.
public final class Ledger: Sendable {
    public let configuration: LedgerConfiguration
    let registry: VMRegistry
    let logger: Logger
    let clock: @Sendable () -> Double
    private let queue = DispatchQueue(label: "cinergy.ledger")
    /// The VMs' accounts (the registry's).
    var accounts: Accounts { registry.accounts }
    /// This boot's `/proc/sys/kernel/random/boot_id`, stored with each flush.
    let bootID: String?

    private struct State {
        var store: LedgerStore?
        var lock: LockFile?
        var error: LedgerError?
        var opened = false
        var lastFlushUnixSeconds: Double?
        var lastPruneUnixSeconds = -Double.infinity
        var lastFoldUnixSeconds = -Double.infinity
        var movedAsidePath: String?
        /// CPU time of the flushes so far (``flushNow(final:)``'s thread), seconds.
        var flushCPUSeconds = 0.0
        /// Whether the next open runs the full `quick_check` before using the file: after the
        /// file was found damaged. The first open checks the header only and leaves the full check
        /// to ``checkIntegrity()``, so that start-up does not read the whole file.
        var fullCheckNext = false
        /// Whether ``checkIntegrity()`` has run on the file open now.
        var checkedSinceOpen = false
    }

    private let state: Mutex<State>

    public init(
        configuration: LedgerConfiguration, registry: VMRegistry, logger: Logger,
        clock: @escaping @Sendable () -> Double = SystemClock.unixSeconds
    ) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.clock = clock
        bootID = HostBoot.bootID(procRoot: configuration.procRoot)
        state = Mutex(State())
    }

    /// The open database, for queries; nil while there is none.
    public var store: LedgerStore? { state.withLock { $0.store } }

    /// Whether persistence is configured at all.
    public var isEnabled: Bool { configuration.stateDirectory != nil }

    public func status() -> LedgerStatus {
        state.withLock { state in
            let stateName: LedgerState =
                if !isEnabled { .off } else if let error = state.error { error.state } else if state.store != nil { .ok } else { .opening }
            return LedgerStatus(
                state: stateName,
                path: configuration.databasePath?.string,
                detail: state.error?.description,
                lastFlushUnixSeconds: state.lastFlushUnixSeconds,
                pendingVMCount: accounts.pendingCount,
                movedAsidePath: state.movedAsidePath,
                flushCPUSeconds: state.flushCPUSeconds
            )
        }
    }

    /// Opens the database and seeds the registry with its totals (off the cooperative pool);
    /// on failure the ledger reports why and the next flush tries again.
    public func open() async {
        await onQueue { self.connectIfNeeded() }
        if integrityCheckDue { checkIntegrityInBackground() }
    }

    /// Reads the registry's counters and writes what is new in one transaction (off the
    /// cooperative pool); what cannot be written stays pending for the next flush. The amounts of
    /// the minute still running are held in one row until it is over
    /// (``LedgerStore/write(_:held:pruneMinutesBefore:pruneHoursBefore:)``); a `final`
    /// flush (the agent stopping) writes everything out.
    public func flush(final: Bool = false) async {
        await onQueue { self.flushNow(final: final) }
        if integrityCheckDue { checkIntegrityInBackground() }
    }

    /// Whether a file is open that ``checkIntegrity()`` has not checked yet.
    var integrityCheckDue: Bool {
        state.withLock { $0.store != nil && !$0.checkedSinceOpen }
    }

    /// ``flush()`` on the calling thread: for tests and benchmarks, never from async code.
    public func flushNow(final: Bool = false) {
        guard isEnabled else { return }
        let cpu = SystemClock.threadCPUSeconds()
        defer {
            let spent = SystemClock.threadCPUSeconds() - cpu
            state.withLock { $0.flushCPUSeconds += max(0, spent) }
        }
        connectIfNeeded()
        let now = clock()
        guard let store = state.withLock({ $0.store }) else {
            // Nothing can be written (no database, or another agent's lock): the accounts keep
            // counting; once an hour, their minutes past the minute retention fold into hours.
            let fold = state.withLock { state in
                defer { if now - state.lastFoldUnixSeconds >= 3600 { state.lastFoldUnixSeconds = now } }
                return now - state.lastFoldUnixSeconds >= 3600
            }
            if fold { accounts.fold(keepMinutesAfter: now - configuration.minuteRetentionHours * 3600) }
            return
        }
        let prune = state.withLock { now - $0.lastPruneUnixSeconds >= 3600 }
        // Minutes older than this are pruned from the database, and folded into hours in memory
        // while nothing can be written.
        let keepMinutesAfter = now - configuration.minuteRetentionHours * 3600
        let minuteCutoff = Int64(keepMinutesAfter)
        let hourCutoff = Int64(now - configuration.hourRetentionDays * 86400)
        let vmIDs: [String: Int64]
        let versionIDs: [Int64]
        do throws(LedgerError) {
            vmIDs = try store.vmRowIDs()
            versionIDs = try store.modelVersionIDs(texts: accounts.modelVersionTexts, unixSeconds: now)
        } catch {
            failed(error)
            return
        }
        // The minutes of the block still running are held (one row for all VMs, encoded straight
        // from the accounts); the blocks that are over, and VMs without a row yet, are written out.
        var held = HeldMinuteWriter(vmIDs: vmIDs, modelVersionIDs: versionIDs)
        let block = Int64(configuration.writeOutMinutes * 60)
        let taken = accounts.takePending(holdingFrom: final ? nil : Int64((now / Double(block)).rounded(.down)) * block, holding: &held)
        let host = try? HostCPUStat.read(procRoot: configuration.procRoot)
        var batch = LedgerBatch(accounts: taken)
        batch.hostState = LedgerHostState(
            bootID: bootID, lastFlushUnixSeconds: now, hostBusyTicks: host?.busyTicks, hostTotalTicks: host?.totalTicks
        )
        do {
            try store.write(
                batch, held: .replace(held.finish()), pruneMinutesBefore: prune ? minuteCutoff : nil,
                pruneHoursBefore: prune ? hourCutoff : nil
            )
            let recovered = state.withLock { state in
                state.lastFlushUnixSeconds = now
                if prune { state.lastPruneUnixSeconds = now }
                defer { state.error = nil }
                return state.error != nil
            }
            if recovered { logger.notice("ledger: writing again", metadata: ["path": "\(store.path)"]) }
        } catch {
            // The held amounts are still pending in the accounts; what was taken goes back.
            accounts.restore(taken, keepMinutesAfter: keepMinutesAfter)
            failed(error)
        }
    }

    /// A flush that could not write: the state says why; a damaged file is dropped (the next
    /// flush opens it again, checks it whole, finds it damaged and moves it aside).
    private func failed(_ error: LedgerError) {
        if case .corrupt = error {
            state.withLock {
                $0.store = nil
                $0.fullCheckNext = true
            }
        }
        report(error)
    }

    /// Checks the whole open file (`PRAGMA quick_check`) through a connection of its own, on the
    /// calling thread, once per open: the agent runs it on a background queue after start-up, so
    /// that start-up does not wait for a read of the whole file. A damaged file is dropped, and the
    /// next flush moves it aside and starts a new one.
    public func checkIntegrity() {
        guard let path = configuration.databasePath else { return }
        let due = state.withLock { state in
            defer { if state.store != nil { state.checkedSinceOpen = true } }
            return state.store != nil && !state.checkedSinceOpen
        }
        guard due else { return }
        do throws(LedgerError) {
            try LedgerStore.quickCheck(path: path)
        } catch {
            guard case .corrupt = error else { return }
            state.withLock { state in
                state.store = nil
                state.fullCheckNext = true
            }
            report(error)
        }
    }

    /// ``checkIntegrity()`` on a background queue of its own (never the ledger's: flushes go on).
    public func checkIntegrityInBackground() {
        DispatchQueue.global(qos: .utility).async { self.checkIntegrity() }
    }

    /// Lets go of the database and its lock (as the agent's exit does): another agent may take
    /// the ledger over from here. Nothing is flushed; ``flush()`` first for that.
    public func close() async {
        await onQueue { self.closeNow() }
    }

    /// ``close()`` on the calling thread: for tests, never from async code.
    public func closeNow() {
        state.withLock { state in
            state.store = nil
            state.lock = nil
        }
    }

    /// Forgets the open database as a failed write would (for tests of what follows).
    func testDropStore() {
        state.withLock { $0.store = nil }
    }

    // MARK: Opening

    private func connectIfNeeded() {
        guard let directory = configuration.stateDirectory, let databasePath = configuration.databasePath,
            let lockPath = configuration.lockPath
        else { return }
        if state.withLock({ $0.store != nil }) { return }
        do {
            try Self.ensureDirectory(directory)
            if state.withLock({ $0.lock == nil }) {
                let lock = try LockFile(path: lockPath)
                state.withLock { $0.lock = lock }
            }
            let store: LedgerStore
            let check: LedgerStore.IntegrityCheck = state.withLock { $0.fullCheckNext } ? .full : .header
            do {
                store = try LedgerStore(path: databasePath, check: check)
            } catch .corrupt(_, let reason) {
                let aside = try Self.moveAside(databasePath, nowUnixSeconds: clock())
                logger.error(
                    "ledger: the database is damaged; moved it aside and started a new one",
                    metadata: ["path": "\(databasePath)", "moved_to": "\(aside)", "reason": "\(reason)"]
                )
                state.withLock { $0.movedAsidePath = aside.string }
                store = try LedgerStore(path: databasePath)
            }
            // The model version in force exists from the open on (provenance), used or not.
            try store.modelVersionID(parameters: accounts.modelParameters, unixSeconds: clock())
            // The accounts continue from the stored ones: what this agent counted up to each
            // stored checkpoint is dropped (whoever wrote it counted it), and the time between a
            // checkpoint and this agent's first reading of the same QEMU is reconstructed.
            let stored = try store.accounts()
            let hostState = try store.hostState()
            let context = ReconstructionContext(
                sameBoot: bootID != nil && hostState.bootID == bootID, lastFlushUnixSeconds: hostState.lastFlushUnixSeconds,
                hostCPU: hostState.hostBusyTicks.flatMap { busy in
                    hostState.hostTotalTicks.map { HostCPUStat(busyTicks: busy, totalTicks: $0) }
                }
            )
            accounts.rebase(
                on: stored.mapValues { StoredAccount(totals: $0.totals, checkpoint: $0.checkpoint) }, context: context,
                hostCPU: try? HostCPUStat.read(procRoot: configuration.procRoot)
            )
            let totals = stored
            let recovered = state.withLock { state in
                state.store = store
                state.opened = true
                state.fullCheckNext = false
                state.checkedSinceOpen = check == .full
                defer { state.error = nil }
                return state.error != nil
            }
            logger.info(
                recovered ? "ledger: open again" : "ledger: open",
                metadata: ["path": "\(databasePath)", "vms": "\(totals.count)"]
            )
        } catch {
            report(error)
        }
    }

    /// Records `error` as the ledger's state; logs it when it differs from the last one (once,
    /// not at every retry).
    private func report(_ error: LedgerError) {
        let isNew = state.withLock { state in
            defer { state.error = error }
            return state.error != error
        }
        if isNew { logger.error("ledger: \(error); serving live figures, retrying every flush") }
    }

    /// Creates `directory` (mode 0750) if it is missing.
    static func ensureDirectory(_ directory: FilePath) throws(LedgerError) {
        if let info = try? Stat(directory) {
            guard info.type == .directory else {
                throw .directoryUnavailable(path: directory.string, reason: "not a directory")
            }
            return
        }
        if mkdir(directory.string, 0o750) != 0, errno != EEXIST {
            throw .directoryUnavailable(path: directory.string, reason: "cannot create it: \(Errno(rawValue: errno))")
        }
    }

    /// Renames the database file (and its WAL and shared-memory files) to `…corrupt-UNIXTIME`;
    /// returns the new name.
    static func moveAside(_ path: FilePath, nowUnixSeconds: Double) throws(LedgerError) -> FilePath {
        let aside = FilePath(path.string + ".corrupt-\(Int64(nowUnixSeconds))")
        guard rename(path.string, aside.string) == 0 else {
            throw .failed(path: path.string, reason: "cannot move the damaged file aside: \(Errno(rawValue: errno))")
        }
        for suffix in ["-wal", "-shm"] { _ = rename(path.string + suffix, aside.string + suffix) }
        return aside
    }

    private func onQueue(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                body()
                continuation.resume()
            }
        }
    }
}
