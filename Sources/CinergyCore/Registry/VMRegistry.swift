import Synchronization

/// The VMs on this host with their latest samples.
///
/// Sources (procfs scans, libvirt) tell the registry which VMs exist; the sampler records usage;
/// HTTP handlers read snapshots. A libvirt domain is keyed by its UUID, a VM found by the procfs
/// scan by its process; a VM reported by both is one entry, merged by process, and libvirt's
/// identity wins. All methods are quick and never do I/O, so readers never wait on discovery or
/// sampling.
///
/// The registry keeps membership and samples only: each VM's energy and carbon are integrated and
/// held by ``accounts`` (one account per ledger key), which the registry feeds with every sample
/// and reads back for ``records()``.
public final class VMRegistry: Sendable {
    /// How many samples each VM keeps.
    public let historyLength: Int
    /// The VMs' accounts: energy and carbon integrated from the samples the registry records.
    public let accounts: Accounts
    /// Turns samples into energy and carbon counters; nil leaves them at 0.
    public var accounting: EnergyAccounting? { accounts.accounting }

    private struct Entry {
        var identity: VMIdentity
        var usage: UsageSample?
        var history: [UsageSample] = []
        var firstSeenUnixSeconds: Double
    }

    private struct State {
        var entries: [VMKey: Entry] = [:]
        /// Which entry each known process belongs to.
        var owners: [ProcessIdentity: VMKey] = [:]
        /// Processes of libvirt domains that libvirt said stopped: a QEMU still exiting must not
        /// come back through the procfs scan. Pruned once the scan no longer sees them.
        var retired: Set<ProcessIdentity> = []
        var lastRound: RoundStatistics?
        var sources: [VMSource: SourceStatus] = [:]
        /// Bumped by every call that may change which VMs exist or who owns a process.
        var membershipVersion: UInt64 = 0
        /// Bumped by every call that may change what `records()` returns (membership and samples).
        var recordsVersion: UInt64 = 0
        /// Each source's last reconciled list and the version right after it: reconciling the same
        /// list again onto an unchanged registry is a no-op, so it is skipped (the procfs scan
        /// reports the same VMs round after round).
        var lastReconcile: [VMSource: (observed: [VMIdentity], version: UInt64)] = [:]
        /// The Nova metadata last seen for each ledger key, so the totals of a VM that left the
        /// registry stay filed under its project (`totals()`).
        var lastNova: [String: NovaInstance] = [:]
        mutating func membershipChanging() {
            membershipVersion &+= 1
            recordsVersion &+= 1
        }

        mutating func removeEntry(_ key: VMKey) -> Entry? {
            guard let entry = entries.removeValue(forKey: key) else { return nil }
            if let process = entry.identity.process, owners[process] == key { owners[process] = nil }
            return entry
        }
    }

    private let state = Mutex(State())

    public init(
        historyLength: Int = 60, accounting: EnergyAccounting? = nil, emissionFactors: (any EmissionFactorSchedule)? = nil,
        accounts: Accounts? = nil
    ) {
        self.historyLength = max(1, historyLength)
        self.accounts = accounts ?? Accounts(accounting: accounting, emissionFactors: emissionFactors)
    }

    // MARK: Sources

    /// Makes `observed` the complete set of VMs that `source` sees now: adds the new ones, updates
    /// the known ones and drops the ones it no longer reports. A process already claimed by a
    /// source of higher precedence keeps that source's identity.
    ///
    /// The same list as the source's previous one, onto a registry whose membership has not moved
    /// since, is a repeat: it is skipped, and the result says so (``Reconciliation/isRepeat``).
    @discardableResult
    public func reconcile(source: VMSource, observed: [VMIdentity], nowUnixSeconds: Double) -> Reconciliation {
        state.withLock { state in
            if let last = state.lastReconcile[source], last.version == state.membershipVersion, last.observed == observed {
                return Reconciliation(isRepeat: true, changes: RegistryChanges())
            }
            state.membershipChanging()
            defer { state.lastReconcile[source] = (observed, state.membershipVersion) }
            var changes = RegistryChanges()
            var seen = Set<VMKey>()
            for identity in observed where identity.source == source {
                seen.insert(identity.key)
                Self.upsert(identity, into: &state, now: nowUnixSeconds, changes: &changes, accounts: accounts)
            }
            for (key, entry) in state.entries where entry.identity.source == source && !seen.contains(key) {
                _ = state.removeEntry(key)
                changes.removed.append(entry.identity)
                if source == .libvirt, let process = entry.identity.process { state.retired.insert(process) }
            }
            if source == .procfs, !state.retired.isEmpty {
                let running = Set(observed.compactMap(\.process))
                state.retired.formIntersection(running)
            }
            return Reconciliation(isRepeat: false, changes: changes)
        }
    }

    /// Adds or refreshes one VM, unless its process is claimed by a source of higher precedence.
    /// A VM that was known under another key with the same process (found by the procfs scan before
    /// libvirt reported it) keeps its samples under the new identity.
    @discardableResult
    public func upsert(_ identity: VMIdentity, nowUnixSeconds: Double) -> RegistryChanges {
        state.withLock { state in
            state.membershipChanging()
            var changes = RegistryChanges()
            Self.upsert(identity, into: &state, now: nowUnixSeconds, changes: &changes, accounts: accounts)
            return changes
        }
    }

    /// Removes the VM with `key` (a domain that stopped); returns it if it was there.
    @discardableResult
    public func remove(key: VMKey) -> VMIdentity? {
        state.withLock { state in
            state.membershipChanging()
            guard let entry = state.removeEntry(key) else { return nil }
            let removed = entry.identity
            if removed.source == .libvirt, let process = removed.process { state.retired.insert(process) }
            return removed
        }
    }

    /// Removes the VM run by `process`, whatever its source; returns it if it was there.
    @discardableResult
    public func remove(process: ProcessIdentity) -> VMIdentity? {
        state.withLock { state in
            state.membershipChanging()
            guard let key = state.owners[process], let entry = state.removeEntry(key) else { return nil }
            return entry.identity
        }
    }

    /// Records what a source's connection looks like, for `/health`.
    public func setStatus(_ status: SourceStatus, for source: VMSource) {
        state.withLock { $0.sources[source] = status }
    }

    private static func upsert(
        _ identity: VMIdentity, into state: inout State, now: Double, changes: inout RegistryChanges, accounts: Accounts
    ) {
        let key = identity.key
        if let process = identity.process {
            if identity.source == .procfs, state.retired.contains(process) { return }
            state.retired.remove(process)
        }
        var inherited: Entry?
        if let process = identity.process, let owner = state.owners[process], owner != key, let other = state.entries[owner] {
            guard identity.source.precedence >= other.identity.source.precedence else { return }
            // The same VM seen by another source until now: take over its samples.
            inherited = state.removeEntry(owner)
            // What was counted under the other source's ledger key (a procfs entry named after
            // the VM, before libvirt gave its UUID) moves with it, whether or not an entry for
            // this key is already there.
            accounts.merge(from: other.identity.ledgerKey, into: identity.ledgerKey)
            if state.entries[key] == nil { changes.updated.append((old: other.identity, new: identity)) }
        }
        if var entry = state.entries[key] {
            if let old = entry.identity.process, old != identity.process, state.owners[old] == key { state.owners[old] = nil }
            if entry.identity.process != identity.process {
                // Another process behind the same domain: a restarted VM, whose samples start anew.
                entry.usage = nil
                entry.history = []
            }
            if entry.identity != identity {
                changes.updated.append((old: entry.identity, new: identity))
                entry.identity = identity
            }
            state.entries[key] = entry
        } else if var entry = inherited {
            entry.identity = identity
            state.entries[key] = entry
        } else {
            // A VM seen before (or known to the ledger) takes its account up again: accounts are
            // by ledger key and outlive the registry's entries.
            state.entries[key] = Entry(identity: identity, firstSeenUnixSeconds: now)
            changes.added.append(identity)
        }
        if let process = identity.process { state.owners[process] = key }
        if let nova = identity.nova { state.lastNova[identity.ledgerKey] = nova }
    }

    // MARK: Sampling

    /// The processes to sample, with the membership version they were taken at: while
    /// `membershipVersion` stays at that version, the processes are the same.
    public func versionedProcesses() -> (processes: [ProcessIdentity], version: UInt64) {
        state.withLock { (Array($0.owners.keys), $0.membershipVersion) }
    }

    /// Moves on with every call that may change which VMs exist or which process each one runs.
    public var membershipVersion: UInt64 {
        state.withLock { $0.membershipVersion }
    }

    /// Stores one round of samples and hands each VM's sample to its account (``accounts``);
    /// samples for processes no longer registered are ignored. `baselines` are the first readings
    /// of processes registered since the last round (their accounts may count what came before,
    /// ``Accounts/baseline(key:identity:reading:processStartUnixSeconds:hostCPU:hostLoadPercent:)``).
    public func record(
        _ samples: [(ProcessIdentity, UsageSample)], baselines: [ProcessBaseline] = [], hostCPU: HostCPUStat? = nil,
        statistics: RoundStatistics
    ) {
        var sampled: [Accounts.Sampled] = []
        sampled.reserveCapacity(samples.count)
        var firsts: [(key: String, identity: VMIdentity, baseline: ProcessBaseline)] = []
        state.withLock { state in
            // The vCPUs of the VMs in the registry: what STATIC_SHARE=running_vcpus shares by.
            let runningVCPUs = state.entries.values.reduce(0) { $0 + $1.identity.vcpus }
            for (process, sample) in samples {
                guard let key = state.owners[process], let index = state.entries.index(forKey: key) else { continue }
                // Mutated in place: a copy of the entry would share its history buffer, and the
                // append below would then copy the whole history for every VM every round.
                Self.add(sample, to: &state.entries.values[index], historyLength: historyLength)
                let identity = state.entries.values[index].identity
                sampled.append(
                    Accounts.Sampled(key: identity.ledgerKey, identity: identity, process: process, sample: sample, runningVCPUs: runningVCPUs)
                )
            }
            for baseline in baselines {
                guard let key = state.owners[baseline.reading.process], let entry = state.entries[key] else { continue }
                firsts.append((entry.identity.ledgerKey, entry.identity, baseline))
            }
            state.lastRound = statistics
            state.recordsVersion &+= 1
        }
        for first in firsts {
            accounts.baseline(
                key: first.key, identity: first.identity, reading: first.baseline.reading,
                processStartUnixSeconds: first.baseline.processStartUnixSeconds, hostCPU: hostCPU,
                hostLoadPercent: statistics.hostCPUUsagePercent
            )
        }
        accounts.record(sampled)
    }

    private static func add(_ sample: UsageSample, to entry: inout Entry, historyLength: Int) {
        // The state and vCPUs the sample was counted with go with it: /history shows past samples
        // as they were, not with the VM's state now.
        var sample = sample
        sample.vmState = entry.identity.state
        sample.vcpus = entry.identity.vcpus
        entry.usage = sample
        if entry.history.count >= historyLength {
            entry.history.removeFirst(entry.history.count - historyLength + 1)
        }
        entry.history.append(sample)
    }

    // MARK: Reading

    /// Every VM, sorted by name then PID.
    public func records() -> [VMRecord] {
        versionedRecords().records
    }

    /// Every VM, as `records()`, with the version of the registry they were taken at: two calls
    /// that see the same `version` see the same records (every change to a VM or to the set of VMs
    /// moves the version on). HTTP handlers use it to reuse a response built from the same records.
    public func versionedRecords() -> (records: [VMRecord], version: UInt64) {
        let totals = accounts.allTotals()
        let (records, version) = state.withLock { state in
            (
                state.entries.values.map { Self.record(of: $0, totals: totals) },
                state.recordsVersion &+ accounts.version
            )
        }
        let sorted = records.sorted {
            ($0.identity.name, $0.identity.process?.pid ?? -1) < ($1.identity.name, $1.identity.process?.pid ?? -1)
        }
        return (sorted, version)
    }

    /// The vCPUs of every VM in the registry, added up: what ``StaticShare/runningVCPUs`` divides by
    /// (with `SERVER_CORES` when that is more).
    public var runningVCPUs: Int {
        state.withLock { $0.entries.values.reduce(0) { $0 + $1.identity.vcpus } }
    }

    /// Every VM's cumulative counters by ledger key, from its account, with the Nova metadata last seen: for the SCS-0414 gauges.
    public func totals() -> [VMTotals] {
        let accountTotals = accounts.allTotals()
        return state.withLock { state in
            var identities: [String: VMIdentity] = [:]
            for entry in state.entries.values { identities[entry.identity.ledgerKey] = entry.identity }
            return accountTotals.map { key, amount in
                VMTotals(
                    ledgerKey: key, identity: identities[key], energyJoules: amount.energyJoules, carbonGrams: amount.carbonGrams,
                    embodiedGrams: amount.embodiedGrams, nova: identities[key]?.nova ?? state.lastNova[key]
                )
            }
        }
    }

    /// The version `versionedRecords()` would return now.
    public var recordsVersion: UInt64 {
        state.withLock { $0.recordsVersion } &+ accounts.version
    }

    /// The VM a user means by `key`: its name, its UUID (any case) or `pid:N`.
    public func lookup(_ key: String) -> VMLookup {
        let totals = accounts.allTotals()
        let matches = state.withLock { state -> [VMRecord] in
            var byName: [VMRecord] = []
            var byOther: [VMRecord] = []
            let lowercased = key.lowercased()
            let pid = key.hasPrefix("pid:") ? Int32(key.dropFirst(4)) : nil
            for entry in state.entries.values {
                if entry.identity.name == key {
                    byName.append(Self.record(of: entry, totals: totals))
                } else if entry.identity.uuid == lowercased || (pid != nil && entry.identity.process?.pid == pid) {
                    byOther.append(Self.record(of: entry, totals: totals))
                }
            }
            return byName.isEmpty ? byOther : byName
        }
        switch matches.count {
        case 0: return .notFound
        case 1: return .found(matches[0])
        default: return .ambiguous(matches.sorted { ($0.identity.process?.pid ?? -1) < ($1.identity.process?.pid ?? -1) })
        }
    }

    /// What the registry knows as a whole, for `/health`.
    public func status() -> RegistryStatus {
        state.withLock { state in
            var counts: [VMSource: Int] = [:]
            for entry in state.entries.values { counts[entry.identity.source, default: 0] += 1 }
            return RegistryStatus(
                vmCount: state.entries.count,
                vmCountBySource: counts,
                lastRound: state.lastRound,
                sources: state.sources
            )
        }
    }

    private static func record(of entry: Entry, totals: [String: AccountAmount]) -> VMRecord {
        let account = totals[entry.identity.ledgerKey]
        return VMRecord(
            identity: entry.identity,
            usage: entry.usage,
            history: entry.history,
            firstSeenUnixSeconds: entry.firstSeenUnixSeconds,
            energyJoules: account?.energyJoules ?? 0,
            carbonGrams: account?.carbonGrams ?? 0,
            embodiedGrams: account?.embodiedGrams ?? 0
        )
    }
}

extension VMSource {
    /// When two sources report the same process, the higher precedence names it.
    var precedence: Int {
        switch self {
        case .procfs: 0
        case .libvirt: 1
        }
    }
}
