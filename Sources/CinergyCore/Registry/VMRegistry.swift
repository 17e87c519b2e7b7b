import Synchronization

/// The VMs on this host with their latest samples.
///
/// Sources (procfs scans, libvirt) tell the registry which VMs exist; the sampler records usage;
/// HTTP handlers read snapshots. A libvirt domain is keyed by its UUID, a VM found by the procfs
/// scan by its process; a VM reported by both is one entry, merged by process, and libvirt's
/// identity wins. All methods are quick and never do I/O, so readers never wait on discovery or
/// sampling.
public final class VMRegistry: Sendable {
    /// How many samples each VM keeps.
    public let historyLength: Int
    /// Turns samples into energy and carbon counters; nil leaves them at 0.
    public let accounting: EnergyAccounting?
    /// Ledger hook: the time-varying grid factor (the factor file), looked up once per round at
    /// the round's time; nil, or no value at that time, leaves the accounting's factor.
    public let emissionFactors: (any EmissionFactorSchedule)?

    private struct Entry {
        var identity: VMIdentity
        var usage: UsageSample?
        var history: [UsageSample] = []
        var firstSeenUnixSeconds: Double
        var energyJoules = 0.0
        var carbonGrams = 0.0
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
        /// Ledger hook: the counters of VMs not in the registry now, by ledger key: seeded from the
        /// ledger at start-up, or left by a VM that stopped. A VM entering the registry takes its
        /// key's counters up again, so its totals continue (`seedTotals`, `totals()`).
        var carried: [String: (joules: Double, grams: Double)] = [:]
        /// Embodied carbon by ledger key, in grams CO2eq (issue 19): kept by key rather than by
        /// entry, so a VM that stops and starts again continues its count without carrying.
        var embodiedGrams: [String: Double] = [:]
        /// The Nova metadata last seen for each ledger key, so the totals of a VM that left the
        /// registry stay filed under its project (`totals()`).
        var lastNova: [String: NovaInstance] = [:]

        /// Keeps the counters of an entry that leaves the registry, for when it comes back; when
        /// it is already back (a new process with the same UUID added in the same scan, before
        /// the old one was dropped), they go straight to that entry.
        mutating func carry(_ entry: Entry) {
            let key = entry.identity.ledgerKey
            if let index = entries.firstIndex(where: { $0.value.identity.ledgerKey == key }) {
                entries.values[index].energyJoules += entry.energyJoules
                entries.values[index].carbonGrams += entry.carbonGrams
                return
            }
            let kept = carried[key] ?? (0, 0)
            carried[key] = (kept.joules + entry.energyJoules, kept.grams + entry.carbonGrams)
        }

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

    public init(historyLength: Int = 60, accounting: EnergyAccounting? = nil, emissionFactors: (any EmissionFactorSchedule)? = nil) {
        self.historyLength = max(1, historyLength)
        self.accounting = accounting
        self.emissionFactors = emissionFactors
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
                Self.upsert(identity, into: &state, now: nowUnixSeconds, changes: &changes)
            }
            for (key, entry) in state.entries where entry.identity.source == source && !seen.contains(key) {
                _ = state.removeEntry(key)
                state.carry(entry)
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
            Self.upsert(identity, into: &state, now: nowUnixSeconds, changes: &changes)
            return changes
        }
    }

    /// Removes the VM with `key` (a domain that stopped); returns it if it was there.
    @discardableResult
    public func remove(key: VMKey) -> VMIdentity? {
        state.withLock { state in
            state.membershipChanging()
            guard let entry = state.removeEntry(key) else { return nil }
            state.carry(entry)
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
            state.carry(entry)
            return entry.identity
        }
    }

    /// Records what a source's connection looks like, for `/health`.
    public func setStatus(_ status: SourceStatus, for source: VMSource) {
        state.withLock { $0.sources[source] = status }
    }

    private static func upsert(_ identity: VMIdentity, into state: inout State, now: Double, changes: inout RegistryChanges) {
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
            var entry = Entry(identity: identity, firstSeenUnixSeconds: now)
            // A VM seen before (or known to the ledger) takes its counters up again.
            if let kept = state.carried.removeValue(forKey: identity.ledgerKey) {
                entry.energyJoules = kept.joules
                entry.carbonGrams = kept.grams
            }
            state.entries[key] = entry
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

    /// Stores one round of samples and adds each VM's energy and carbon over its interval to its
    /// counters; samples for processes no longer registered are ignored.
    public func record(_ samples: [(ProcessIdentity, UsageSample)], statistics: RoundStatistics) {
        // Looked up before taking the lock: the schedule has a lock of its own.
        let factor = emissionFactors?.gramsPerKilowattHour(atUnixSeconds: statistics.finishedAtUnixSeconds)
        state.withLock { state in
            let runningVCPUs = state.entries.values.reduce(0) { $0 + $1.identity.vcpus }
            for (process, sample) in samples {
                guard let key = state.owners[process], let index = state.entries.index(forKey: key) else { continue }
                // Mutated in place: a copy of the entry would share its history buffer, and the
                // append below would then copy the whole history for every VM every round.
                Self.add(
                    sample, to: &state.entries.values[index], historyLength: historyLength, accounting: accounting,
                    emissionFactor: factor, runningVCPUs: runningVCPUs
                )
                let identity = state.entries.values[index].identity
                if let grams = accounting?.embodiedGrams(vmCores: identity.vcpus, seconds: sample.intervalSeconds, runningVCPUs: runningVCPUs) {
                    state.embodiedGrams[identity.ledgerKey, default: 0] += grams
                }
            }
            state.lastRound = statistics
            state.recordsVersion &+= 1
        }
    }

    private static func add(
        _ sample: UsageSample, to entry: inout Entry, historyLength: Int, accounting: EnergyAccounting?, emissionFactor: Double?,
        runningVCPUs: Int
    ) {
        if let accounting {
            let usage = sample.effective(in: entry.identity.state).cpuUsagePercent
            let (joules, grams) = accounting.increments(
                cpuUsagePercent: usage, vmCores: entry.identity.vcpus, seconds: sample.intervalSeconds,
                hostLoadPercent: sample.hostCPUUsagePercent,
                emissionFactorGramsPerKilowattHour: emissionFactor, runningVCPUs: runningVCPUs
            )
            entry.energyJoules += joules
            entry.carbonGrams += grams
        }
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

    // MARK: Ledger hooks

    /// Adds totals the ledger kept from earlier runs to each VM's counters, by ledger key: to the
    /// VM's entry when it is in the registry (its counters so far are this run's), else kept for
    /// when it enters. Called once the ledger has read them, normally before sampling starts.
    public func seedTotals(_ totals: [String: (joules: Double, grams: Double)]) {
        state.withLock { state in
            var remaining = totals
            for index in state.entries.indices {
                let key = state.entries.values[index].identity.ledgerKey
                guard let seed = remaining.removeValue(forKey: key) else { continue }
                state.entries.values[index].energyJoules += seed.joules
                state.entries.values[index].carbonGrams += seed.grams
            }
            for (key, seed) in remaining {
                let kept = state.carried[key] ?? (0, 0)
                state.carried[key] = (kept.joules + seed.joules, kept.grams + seed.grams)
            }
            state.recordsVersion &+= 1
        }
    }

    /// Every VM's cumulative counters by ledger key, in one call: the VMs in the registry (with
    /// their identity; several entries with one key are added up) and those that left it.
    public func totals() -> [VMTotals] {
        state.withLock { state in
            var byKey: [String: VMTotals] = [:]
            for entry in state.entries.values {
                let key = entry.identity.ledgerKey
                var totals =
                    byKey[key]
                    ?? VMTotals(
                        ledgerKey: key, identity: entry.identity, energyJoules: 0, carbonGrams: 0,
                        embodiedGrams: state.embodiedGrams[key], nova: entry.identity.nova ?? state.lastNova[key]
                    )
                totals.energyJoules += entry.energyJoules
                totals.carbonGrams += entry.carbonGrams
                byKey[key] = totals
            }
            for (key, kept) in state.carried {
                var totals =
                    byKey[key]
                    ?? VMTotals(
                        ledgerKey: key, identity: nil, energyJoules: 0, carbonGrams: 0, embodiedGrams: state.embodiedGrams[key],
                        nova: state.lastNova[key]
                    )
                totals.energyJoules += kept.joules
                totals.carbonGrams += kept.grams
                byKey[key] = totals
            }
            return Array(byKey.values)
        }
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
        let (records, version) = state.withLock { state in
            (state.entries.values.map { Self.record(of: $0, embodiedGrams: state.embodiedGrams) }, state.recordsVersion)
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

    /// The version `versionedRecords()` would return now.
    public var recordsVersion: UInt64 {
        state.withLock { $0.recordsVersion }
    }

    /// The VM a user means by `key`: its name, its UUID (any case) or `pid:N`.
    public func lookup(_ key: String) -> VMLookup {
        let matches = state.withLock { state -> [VMRecord] in
            var byName: [VMRecord] = []
            var byOther: [VMRecord] = []
            let lowercased = key.lowercased()
            let pid = key.hasPrefix("pid:") ? Int32(key.dropFirst(4)) : nil
            for entry in state.entries.values {
                if entry.identity.name == key {
                    byName.append(Self.record(of: entry, embodiedGrams: state.embodiedGrams))
                } else if entry.identity.uuid == lowercased || (pid != nil && entry.identity.process?.pid == pid) {
                    byOther.append(Self.record(of: entry, embodiedGrams: state.embodiedGrams))
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

    private static func record(of entry: Entry, embodiedGrams: [String: Double]) -> VMRecord {
        VMRecord(
            identity: entry.identity,
            usage: entry.usage,
            history: entry.history,
            firstSeenUnixSeconds: entry.firstSeenUnixSeconds,
            energyJoules: entry.energyJoules,
            carbonGrams: entry.carbonGrams,
            embodiedGrams: embodiedGrams[entry.identity.ledgerKey] ?? 0
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
