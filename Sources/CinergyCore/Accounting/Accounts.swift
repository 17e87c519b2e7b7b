import CinergySystem
import Synchronization

/// The one owner of each VM's account, by ledger key (``VMIdentity/ledgerKey``): it integrates the
/// samples into energy and carbon, and holds the totals that `/metrics`, `/power` and the ledger
/// all read, the amounts not yet written (by minute and model version) and how far the account
/// has been counted (the checkpoint: the VM's process, its cumulative CPU ticks and the time of
/// that reading).
///
/// Each sample's energy is spread uniformly over its own interval `[end − interval, end]`
/// (monotonic length, Unix end), so a minute bucket is exact to one sample interval and a wall
/// clock stepped forward never inflates running time.
///
/// The ledger writes what ``takePending()`` hands it; when it takes the database's lock (at start
/// or later, from another agent) it calls ``rebase(on:context:)`` with the stored accounts: what
/// this agent counted up to each stored checkpoint is dropped (the holder counted it), the
/// totals continue from the stored ones, and the time between a checkpoint and this agent's first
/// reading of the same process is reconstructed from the process's CPU ticks.
public final class Accounts: Sendable {
    /// Turns samples into energy and carbon; nil leaves every account at 0.
    public let accounting: EnergyAccounting?
    /// The time-varying grid factor (the factor file), looked up at each sample's time; nil, or no
    /// value then, leaves the accounting's factor.
    public let emissionFactors: (any EmissionFactorSchedule)?
    /// Clock ticks per second of `/proc` CPU times.
    public let ticksPerSecond: Double
    /// When these accounts began, Unix seconds: a QEMU that started later started while the agent ran.
    public let startUnixSeconds: Double

    private struct PendingKey: Hashable {
        var minute: Int64
        var version: Int
    }

    private struct Account {
        var identity: VMIdentity?
        var totals = AccountAmount()
        var pending: [PendingKey: AccountBatch.Bucket] = [:]
        var firstSeen = Double.infinity
        var lastSeen = -Double.infinity
        /// The last reading of the VM's process (the checkpoint to store).
        var reading: ProcessReading?
        /// Whether `reading` moved since the last take.
        var readingMoved = false
        /// This agent's first reading of the process of `reading`: counted from here on.
        var firstReading: ProcessReading?
        /// A stored checkpoint waiting for the first reading of its process, to bridge the gap.
        var awaiting: ProcessReading?
        /// A stored checkpoint later than this agent's last reading of its process (a takeover):
        /// the next sample of that process is counted from it rather than over its own interval.
        var resumeFrom: ProcessReading?
    }

    private struct State {
        var accounts: [String: Account] = [:]
        /// Model versions' canonical texts, interned; `current` is the one in force.
        var versions: [String] = []
        var versionIndex: [String: Int] = [:]
        var current = 0
        var context: ReconstructionContext?
        /// Whether amounts are kept by minute for a ledger to take (``takePending()``); without a
        /// ledger (``stopKeepingPending()``) nothing would ever take them.
        var keepsPending = true
        /// Bumped by every change of the totals.
        var version: UInt64 = 0

        mutating func intern(_ text: String) -> Int {
            if let index = versionIndex[text] { return index }
            versions.append(text)
            versionIndex[text] = versions.count - 1
            return versions.count - 1
        }
    }

    private let state: Mutex<State>

    public init(
        accounting: EnergyAccounting?, emissionFactors: (any EmissionFactorSchedule)? = nil,
        modelParameters: String = "MODEL=unspecified", ticksPerSecond: Double = SystemClock.ticksPerSecond,
        startUnixSeconds: Double = SystemClock.unixSeconds()
    ) {
        self.accounting = accounting
        self.emissionFactors = emissionFactors
        self.ticksPerSecond = ticksPerSecond
        self.startUnixSeconds = startUnixSeconds
        var initial = State()
        initial.current = initial.intern(modelParameters)
        state = Mutex(initial)
    }

    // MARK: Model version

    /// The canonical text of the model version in force (``setModelParameters(_:)``).
    public var modelParameters: String {
        state.withLock { $0.versions[$0.current] }
    }

    /// Every model version's canonical text, by the index ``HeldAmountsVisitor`` gives.
    public var modelVersionTexts: [String] {
        state.withLock { $0.versions }
    }

    /// Makes `text` the model version in force: what is sampled from now on carries it.
    public func setModelParameters(_ text: String) {
        state.withLock { $0.current = $0.intern(text) }
    }

    /// Keeps no amounts by minute from now on (and drops those kept): there is no ledger to take
    /// them, and they would grow by a bucket per VM and minute for as long as the agent runs.
    public func stopKeepingPending() {
        state.withLock { state in
            state.keepsPending = false
            state.accounts.updateEach { _, account in account.pending = [:] }
        }
    }

    // MARK: Counting

    /// One VM's sample, as ``record(_:)`` takes it.
    public struct Sampled: Sendable {
        public var key: String
        public var identity: VMIdentity
        public var process: ProcessIdentity
        public var sample: UsageSample
        /// The vCPUs of the registry's VMs in that round (`STATIC_SHARE=running_vcpus`); nil: SERVER_CORES alone.
        public var runningVCPUs: Int?

        public init(key: String, identity: VMIdentity, process: ProcessIdentity, sample: UsageSample, runningVCPUs: Int? = nil) {
            self.key = key
            self.identity = identity
            self.process = process
            self.sample = sample
            self.runningVCPUs = runningVCPUs
        }
    }

    /// Adds each sample's energy and carbon over its interval to its VM's account.
    public func record(_ samples: [Sampled]) {
        guard !samples.isEmpty else { return }
        // Looked up before taking the lock: the schedule has a lock of its own.
        let factor = emissionFactors?.gramsPerKilowattHour(atUnixSeconds: samples[0].sample.sampledAtUnixSeconds)
        state.withLock { state in
            let version = state.current
            for item in samples {
                var sample = item.sample
                if let from = state.accounts[item.key]?.resumeFrom, from.process == item.process, let ticks = sample.cpuTicks {
                    // Counted from the stored checkpoint on: what came before it was the last writer's.
                    let end = sample.sampledAtUnixSeconds
                    if end > from.unixSeconds, ticks >= from.cpuTicks {
                        state.accounts[item.key]?.resumeFrom = nil
                        sample.intervalSeconds = end - from.unixSeconds
                        sample.cpuUsagePercent = Double(ticks - from.cpuTicks) / ticksPerSecond / sample.intervalSeconds * 100
                    } else {
                        sample.intervalSeconds = 0
                    }
                }
                let amount = Self.amount(
                    accounting: accounting, usagePercent: sample.cpuUsagePercent, identity: item.identity,
                    seconds: max(0, sample.intervalSeconds), hostLoadPercent: sample.hostCPUUsagePercent, emissionFactor: factor,
                    reconstructed: false, runningVCPUs: item.runningVCPUs
                )
                // Mutated in place (one hash of the key): a copy would copy its pending buckets too.
                Self.add(
                    amount, sample: sample, process: item.process, identity: item.identity, version: version,
                    ticksPerSecond: ticksPerSecond, keepsPending: state.keepsPending, to: &state.accounts[item.key, default: Account()]
                )
            }
            state.version &+= 1
        }
    }

    private static func add(
        _ amount: AccountAmount, sample: UsageSample, process: ProcessIdentity, identity: VMIdentity, version: Int,
        ticksPerSecond: Double, keepsPending: Bool, to account: inout Account
    ) {
        let seconds = max(0, sample.intervalSeconds)
        let end = sample.sampledAtUnixSeconds
        if account.identity != identity { account.identity = identity }
        account.totals += amount
        if keepsPending { spread(amount, from: end - seconds, to: end, version: version, into: &account.pending) }
        account.firstSeen = min(account.firstSeen, end - seconds)
        account.lastSeen = max(account.lastSeen, end)
        if let ticks = sample.cpuTicks {
            if account.firstReading?.process != process {
                // No baseline seen (a test feeding samples): counted from this interval's start.
                let used = UInt64(max(0, (sample.cpuUsagePercent / 100 * seconds * ticksPerSecond).rounded()))
                account.firstReading = ProcessReading(process: process, cpuTicks: ticks >= used ? ticks - used : 0, unixSeconds: end - seconds)
            }
            account.reading = ProcessReading(process: process, cpuTicks: ticks, unixSeconds: end)
            account.readingMoved = true
        }
    }

    /// The first reading of a VM's process by this agent (its baseline). Counts what happened
    /// before it when that can be known:
    /// - the same process as a stored checkpoint (same boot): the gap since the checkpoint, from
    ///   the process's CPU ticks over it, marked reconstructed;
    /// - else a QEMU that started after these accounts began or after the ledger's last flush:
    ///   from its start (`processStartUnixSeconds`), its ticks since then being all its own
    ///   (reconstructed when it started before this agent did).
    /// `hostCPU` is `/proc/stat` now, for the host's mean load over a reconstructed gap;
    /// `hostLoadPercent` the load over the last round, for a start during this agent's run.
    public func baseline(
        key: String, identity: VMIdentity, reading: ProcessReading, processStartUnixSeconds: Double?, hostCPU: HostCPUStat?,
        hostLoadPercent: Double?
    ) {
        let factor = emissionFactors?.gramsPerKilowattHour(atUnixSeconds: reading.unixSeconds)
        state.withLock { state in
            var account = state.accounts.removeValue(forKey: key) ?? Account()
            defer {
                state.accounts[key] = account
                state.version &+= 1
            }
            account.identity = identity
            let previous = account.reading
            account.reading = reading
            account.readingMoved = true
            if account.firstReading?.process != reading.process { account.firstReading = reading }
            account.lastSeen = max(account.lastSeen, reading.unixSeconds)
            let version = state.current
            // This agent read the process before (the registry moved it between keys): count on from there.
            if let previous, previous.process == reading.process {
                Self.bridge(
                    from: previous, to: reading, identity: identity, hostLoadPercent: hostLoadPercent, factor: factor,
                    reconstructed: false, version: version, accounting: accounting, ticksPerSecond: ticksPerSecond, into: &account
                )
                return
            }
            if let stored = account.awaiting {
                account.awaiting = nil
                if stored.process == reading.process {
                    let load = state.context?.hostCPU.flatMap { earlier in hostCPU?.loadPercent(since: earlier) }
                    Self.bridge(
                        from: stored, to: reading, identity: identity, hostLoadPercent: load, factor: factor, reconstructed: true,
                        version: version, accounting: accounting, ticksPerSecond: ticksPerSecond, into: &account
                    )
                    return
                }
            }
            guard let start = processStartUnixSeconds, start < reading.unixSeconds else { return }
            let lastFlush = state.context?.lastFlushUnixSeconds
            let duringRun = start >= startUnixSeconds
            guard duringRun || (lastFlush.map { start >= $0 } ?? false) else { return }
            let load = duringRun ? hostLoadPercent : state.context?.hostCPU.flatMap { earlier in hostCPU?.loadPercent(since: earlier) }
            Self.bridge(
                from: ProcessReading(process: reading.process, cpuTicks: 0, unixSeconds: start), to: reading, identity: identity,
                hostLoadPercent: load, factor: factor, reconstructed: !duringRun, version: version, accounting: accounting,
                ticksPerSecond: ticksPerSecond, into: &account
            )
        }
    }

    /// Moves the account of `oldKey` into `newKey`'s (a VM found by the procfs scan under its name
    /// that libvirt then reported under its UUID): nothing it counted is dropped.
    public func merge(from oldKey: String, into newKey: String) {
        guard oldKey != newKey else { return }
        state.withLock { state in
            guard let old = state.accounts.removeValue(forKey: oldKey) else { return }
            var account = state.accounts[newKey] ?? Account()
            account.totals += old.totals
            for (key, bucket) in old.pending {
                if account.pending[key] == nil { account.pending[key] = bucket } else { account.pending[key]?.add(bucket) }
            }
            account.firstSeen = min(account.firstSeen, old.firstSeen)
            account.lastSeen = max(account.lastSeen, old.lastSeen)
            if account.reading == nil || (old.reading?.unixSeconds ?? -.infinity) > (account.reading?.unixSeconds ?? -.infinity) {
                account.reading = old.reading
                account.readingMoved = account.readingMoved || old.readingMoved
            }
            if account.firstReading == nil { account.firstReading = old.firstReading }
            if account.awaiting == nil { account.awaiting = old.awaiting }
            if account.identity == nil { account.identity = old.identity }
            state.accounts[newKey] = account
            state.version &+= 1
        }
    }

    /// Adds each VM's share of the host meter's measured energy over [`from`, `to`] (Unix
    /// seconds), joules by ledger key, to its totals and buckets, beside its isolated figures
    /// (issue 18). VMs without an account (never sampled) are left out: their share is the host's.
    public func addAttributed(_ joules: [String: Double], fromUnixSeconds from: Double, toUnixSeconds to: Double) {
        guard !joules.isEmpty else { return }
        state.withLock { state in
            let version = state.current
            for (key, value) in joules {
                guard state.accounts[key] != nil else { continue }
                let amount = AccountAmount(attributedJoules: value, attributedSeconds: max(0, to - from))
                state.accounts[key]?.totals += amount
                guard state.keepsPending else { continue }
                Self.spread(amount, from: from, to: to, version: version, into: &state.accounts[key, default: Account()].pending)
            }
            state.version &+= 1
        }
    }

    // MARK: The ledger

    /// Takes everything counted since the last take (and each VM's checkpoint, where it moved),
    /// leaving nothing pending.
    public func takePending() -> AccountBatch {
        var nothing = NoHeldAmounts()
        return takePending(holdingFrom: nil, holding: &nothing)
    }

    /// Takes what the ledger writes out now: every VM's amounts of the minutes before
    /// `holdingFrom` (all of them when nil), and the whole account of a VM that `visitor` cannot
    /// hold (``HeldAmountsVisitor/canHold(key:)``: one without a row yet). What stays pending (the minute still running)
    /// is handed to `visitor` with the VM's checkpoint, in the same hold of the lock: the taken
    /// amounts, the held ones and the checkpoint are one cut. The held amounts stay pending here
    /// (their owner) until their minute is over; a VM's checkpoint goes with its held amounts while
    /// it has some, so that the rows and the held row together always match it.
    public func takePending<Visitor: HeldAmountsVisitor>(
        holdingFrom: Int64?, holding visitor: inout Visitor
    ) -> AccountBatch {
        state.withLock { state in
            var batch = AccountBatch()
            let versions = state.versions
            state.accounts.updateEach { key, account in
                if let entry = Self.take(&account, key: key, holdingFrom: holdingFrom, versions: versions, visitor: &visitor) {
                    batch.entries[key] = entry
                }
            }
            return batch
        }
    }

    private static func take<Visitor: HeldAmountsVisitor>(
        _ account: inout Account, key: String, holdingFrom: Int64?, versions: [String], visitor: inout Visitor
    ) -> AccountBatch.Entry? {
        guard !account.pending.isEmpty || account.readingMoved, let identity = account.identity, account.lastSeen.isFinite else {
            return nil
        }
        var entry = AccountBatch.Entry(
            identity: identity, firstSeenUnixSeconds: account.firstSeen.isFinite ? account.firstSeen : account.lastSeen,
            lastSeenUnixSeconds: account.lastSeen
        )
        var heldCount = 0
        var finished = 0
        var holdingFrom = holdingFrom
        if holdingFrom != nil, !visitor.canHold(key: key) { holdingFrom = nil }
        if let holdingFrom {
            for bucket in account.pending.keys {
                if bucket.minute >= holdingFrom { heldCount += 1 } else { finished += 1 }
            }
        } else {
            finished = account.pending.count
        }
        if finished > 0 {
            for (bucket, amount) in account.pending where heldCount == 0 || bucket.minute < holdingFrom ?? .max {
                entry.buckets[AccountBatch.BucketKey(minuteStart: bucket.minute, modelParameters: versions[bucket.version])] = amount
            }
            if heldCount == 0 {
                account.pending = [:]
            } else {
                account.pending = account.pending.filter { $0.key.minute >= holdingFrom ?? .max }
            }
        }
        guard heldCount > 0 else {
            entry.checkpoint = account.readingMoved ? account.reading : nil
            account.readingMoved = false
            account.firstSeen = .infinity
            return entry
        }
        visitor.hold(
            key: key, identity: identity, firstSeenUnixSeconds: entry.firstSeenUnixSeconds, lastSeenUnixSeconds: account.lastSeen,
            checkpoint: account.readingMoved ? account.reading : nil, bucketCount: heldCount
        )
        for (bucket, amount) in account.pending {
            visitor.holdBucket(minuteStart: bucket.minute, version: bucket.version, amount: amount.amount)
        }
        // The minutes that are over go without the checkpoint: it stays with the held amounts.
        return finished > 0 ? entry : nil
    }

    /// A visitor that keeps nothing: for a take of everything.
    private struct NoHeldAmounts: HeldAmountsVisitor {
        mutating func canHold(key: String) -> Bool { false }

        mutating func hold(
            key: String, identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double, checkpoint: ProcessReading?,
            bucketCount: Int
        ) {}

        mutating func holdBucket(minuteStart: Int64, version: Int, amount: AccountAmount) {}
    }

    /// Puts back a batch that could not be written. While writes keep failing, minutes older than
    /// `keepMinutesAfter` (Unix seconds: the minute retention's start) are folded into their
    /// hour's first minute, so what waits grows by one bucket per VM and hour, not per minute.
    public func restore(_ batch: AccountBatch, keepMinutesAfter: Double = -.infinity) {
        let cutoff = Int64(max(-9e15, keepMinutesAfter))
        state.withLock { state in
            for (key, entry) in batch.entries {
                var account = state.accounts[key] ?? Account()
                if account.identity == nil { account.identity = entry.identity }
                for (bucket, amount) in entry.buckets {
                    let key = PendingKey(minute: bucket.minuteStart, version: state.intern(bucket.modelParameters))
                    if account.pending[key] == nil { account.pending[key] = amount } else { account.pending[key]?.add(amount) }
                }
                if entry.checkpoint != nil { account.readingMoved = true }
                account.firstSeen = min(account.firstSeen, entry.firstSeenUnixSeconds)
                account.lastSeen = max(account.lastSeen, entry.lastSeenUnixSeconds)
                Self.fold(&account.pending, before: cutoff)
                state.accounts[key] = account
            }
        }
    }

    /// Folds every account's pending minutes older than `keepMinutesAfter` into their hour's first
    /// minute: while nothing can be written (no database, another agent's lock), what waits grows
    /// by one bucket per VM and hour, not per minute.
    public func fold(keepMinutesAfter: Double) {
        let cutoff = Int64(max(-9e15, keepMinutesAfter))
        state.withLock { state in
            state.accounts.updateEach { _, account in Self.fold(&account.pending, before: cutoff) }
        }
    }

    private static func fold(_ pending: inout [PendingKey: AccountBatch.Bucket], before cutoff: Int64) {
        guard pending.keys.contains(where: { $0.minute < cutoff && $0.minute % 3600 != 0 }) else { return }
        var folded: [PendingKey: AccountBatch.Bucket] = [:]
        for (key, amount) in pending {
            var target = key
            if key.minute < cutoff { target.minute = key.minute - ((key.minute % 3600) + 3600) % 3600 }
            if folded[target] == nil { folded[target] = amount } else { folded[target]?.add(amount) }
        }
        pending = folded
    }

    /// At the moment this agent takes the ledger's lock: for each stored account, drops what was
    /// counted here up to its checkpoint (the writer before counted it; a bucket straddling it
    /// is prorated by time), makes the totals the stored ones plus what is left pending, and
    /// bridges the gap between the checkpoint and this agent's first reading of the same process
    /// (reconstructed from its CPU ticks), or leaves the checkpoint for that first reading.
    public func rebase(on stored: [String: StoredAccount], context: ReconstructionContext, hostCPU: HostCPUStat? = nil) {
        let factor = emissionFactors?.gramsPerKilowattHour(atUnixSeconds: context.lastFlushUnixSeconds ?? 0)
        state.withLock { state in
            state.context = context
            let version = state.current
            let load = context.hostCPU.flatMap { earlier in hostCPU?.loadPercent(since: earlier) }
            for (key, storedAccount) in stored {
                var account = state.accounts[key] ?? Account()
                account.awaiting = nil
                account.resumeFrom = nil
                if let checkpoint = storedAccount.checkpoint, context.sameBoot, let first = account.firstReading,
                    let reading = account.reading, let identity = account.identity, first.process == checkpoint.process,
                    reading.process == checkpoint.process, first.unixSeconds < checkpoint.unixSeconds
                {
                    // A takeover: this agent read the same QEMU over time the writer before it
                    // counted. Everything this agent counted is dropped (prorating its minutes at
                    // the checkpoint would misplace CPU time within them) and the account goes on
                    // from the stored checkpoint by the process's own ticks: up to this agent's
                    // last reading now, or from its next sample when the checkpoint is later.
                    account.pending = [:]
                    if reading.unixSeconds > checkpoint.unixSeconds {
                        Self.bridge(
                            from: checkpoint, to: reading, identity: identity, hostLoadPercent: load, factor: factor,
                            reconstructed: true, version: version, accounting: accounting, ticksPerSecond: ticksPerSecond,
                            into: &account
                        )
                    } else {
                        account.resumeFrom = checkpoint
                    }
                    account.readingMoved = reading.unixSeconds > checkpoint.unixSeconds
                } else if let checkpoint = storedAccount.checkpoint {
                    Self.drop(before: checkpoint.unixSeconds, from: &account.pending)
                    if context.sameBoot {
                        if let first = account.firstReading, first.process == checkpoint.process {
                            if first.unixSeconds > checkpoint.unixSeconds, let identity = account.identity {
                                Self.bridge(
                                    from: checkpoint, to: first, identity: identity, hostLoadPercent: load, factor: factor,
                                    reconstructed: true, version: version, accounting: accounting, ticksPerSecond: ticksPerSecond,
                                    into: &account
                                )
                            }
                        } else if account.firstReading == nil {
                            account.awaiting = checkpoint
                        }
                    }
                    // The stored checkpoint is where the database stands; ours is written next only
                    // when it is later (never one that would move the stored one back).
                    account.readingMoved = (account.reading?.unixSeconds ?? -.infinity) > checkpoint.unixSeconds
                }
                var totals = storedAccount.totals
                for bucket in account.pending.values { totals += bucket.amount }
                account.totals = totals
                state.accounts[key] = account
            }
            state.version &+= 1
        }
    }

    // MARK: Reading

    /// A VM's totals (nil when it has no account).
    public func totals(_ key: String) -> AccountAmount? {
        state.withLock { $0.accounts[key]?.totals }
    }

    /// Every account's totals, by ledger key.
    public func allTotals() -> [String: AccountAmount] {
        state.withLock { $0.accounts.mapValues(\.totals) }
    }

    /// Moves on with every change of the totals.
    public var version: UInt64 { state.withLock { $0.version } }

    /// How many VMs have amounts waiting for the ledger.
    public var pendingCount: Int {
        state.withLock { $0.accounts.values.reduce(0) { $0 + ($1.pending.isEmpty ? 0 : 1) } }
    }

    // MARK: Arithmetic

    /// The energy, carbon, CPU and running time of `identity` using `usagePercent` of one host CPU for `seconds`.
    private static func amount(
        accounting: EnergyAccounting?, usagePercent: Double, identity: VMIdentity, seconds: Double, hostLoadPercent: Double?,
        emissionFactor: Double?, reconstructed: Bool, runningVCPUs: Int? = nil
    ) -> AccountAmount {
        // A paused domain is still active: it keeps its share of the host (static power, embodied).
        var amount = AccountAmount(runningSeconds: seconds, cpuSeconds: usagePercent / 100 * seconds)
        guard let accounting else { return amount }
        let effective = identity.state == .paused ? 0 : usagePercent
        let estimate = accounting.power.estimate(
            cpuUsagePercent: effective, vmCores: identity.vcpus, hostLoadPercent: hostLoadPercent, runningVCPUs: runningVCPUs
        )
        let carbon = accounting.carbon.overridingEmissionFactor(emissionFactor)
        amount.staticJoules = estimate.staticWatts * seconds
        amount.dynamicJoules = estimate.dynamicWatts * seconds
        amount.energyJoules = amount.staticJoules + amount.dynamicJoules
        amount.carbonGrams = carbon.gramsPerHour(powerWatts: estimate.totalWatts) * seconds / 3600
        amount.embodiedGrams = accounting.embodiedGrams(vmCores: identity.vcpus, seconds: seconds, runningVCPUs: runningVCPUs)
        if reconstructed { amount.reconstructedJoules = amount.energyJoules }
        return amount
    }

    /// Counts [`from`, `to`] from the process's CPU ticks over it (its mean usage).
    private static func bridge(
        from: ProcessReading, to: ProcessReading, identity: VMIdentity, hostLoadPercent: Double?, factor: Double?,
        reconstructed: Bool, version: Int, accounting: EnergyAccounting?, ticksPerSecond: Double, into account: inout Account
    ) {
        let seconds = to.unixSeconds - from.unixSeconds
        guard seconds > 0, to.cpuTicks >= from.cpuTicks else { return }
        let usage = Double(to.cpuTicks - from.cpuTicks) / ticksPerSecond / seconds * 100
        let amount = Self.amount(
            accounting: accounting, usagePercent: usage, identity: identity, seconds: seconds, hostLoadPercent: hostLoadPercent,
            emissionFactor: factor, reconstructed: reconstructed
        )
        account.totals += amount
        spread(amount, from: from.unixSeconds, to: to.unixSeconds, version: version, into: &account.pending)
        account.firstSeen = min(account.firstSeen, from.unixSeconds)
    }

    /// Drops what `pending` holds before `unixSeconds`; a bucket straddling it keeps the share of
    /// its covered time after it.
    private static func drop(before unixSeconds: Double, from pending: inout [PendingKey: AccountBatch.Bucket]) {
        for (key, bucket) in pending {
            if bucket.toUnixSeconds <= unixSeconds {
                pending[key] = nil
            } else if bucket.fromUnixSeconds < unixSeconds {
                let share = (bucket.toUnixSeconds - unixSeconds) / (bucket.toUnixSeconds - bucket.fromUnixSeconds)
                pending[key] = AccountBatch.Bucket(
                    amount: bucket.amount.scaled(by: share), fromUnixSeconds: unixSeconds, toUnixSeconds: bucket.toUnixSeconds
                )
            }
        }
    }

    /// Spreads `amount` over the minutes of [`from`, `to`] in proportion to their overlap; an
    /// empty interval puts it all in the minute of `to`.
    private static func spread(
        _ amount: AccountAmount, from: Double, to: Double, version: Int, into pending: inout [PendingKey: AccountBatch.Bucket]
    ) {
        let lastMinute = Int64((to / 60).rounded(.down)) * 60
        guard to > from else {
            add(AccountBatch.Bucket(amount: amount, fromUnixSeconds: to, toUnixSeconds: to), at: PendingKey(minute: lastMinute, version: version), to: &pending)
            return
        }
        var minute = Int64((from / 60).rounded(.down)) * 60
        // The common case: the whole interval in one minute.
        if minute == lastMinute {
            add(AccountBatch.Bucket(amount: amount, fromUnixSeconds: from, toUnixSeconds: to), at: PendingKey(minute: minute, version: version), to: &pending)
            return
        }
        let length = to - from
        while minute <= lastMinute {
            let start = max(from, Double(minute))
            let end = min(to, Double(minute + 60))
            if end > start {
                add(
                    AccountBatch.Bucket(amount: amount.scaled(by: (end - start) / length), fromUnixSeconds: start, toUnixSeconds: end),
                    at: PendingKey(minute: minute, version: version), to: &pending
                )
            }
            minute += 60
        }
    }

    private static func add(_ bucket: AccountBatch.Bucket, at key: PendingKey, to pending: inout [PendingKey: AccountBatch.Bucket]) {
        if pending[key] == nil { pending[key] = bucket } else { pending[key]?.add(bucket) }
    }
}
