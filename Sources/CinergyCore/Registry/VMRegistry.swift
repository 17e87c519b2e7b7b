import Synchronization

/// The VMs on this host, one entry per QEMU process, with their latest samples.
///
/// Sources (procfs scans, libvirt) tell the registry which VMs exist; the sampler records usage;
/// HTTP handlers read snapshots. A VM reported by several sources is one entry, keyed by its
/// process: libvirt's identity wins over the procfs scan's. All methods are quick and never do I/O,
/// so readers never wait on discovery or sampling.
public final class VMRegistry: Sendable {
    /// How many samples each VM keeps.
    public let historyLength: Int

    private struct Entry {
        var identity: VMIdentity
        var usage: UsageSample?
        var history: [UsageSample] = []
        var firstSeenUnixSeconds: Double
    }

    private struct State {
        var entries: [ProcessIdentity: Entry] = [:]
        var lastSample: SampleRound?
        var sources: [VMSource: SourceStatus] = [:]
    }

    private let state = Mutex(State())

    public init(historyLength: Int = 60) {
        self.historyLength = max(1, historyLength)
    }

    // MARK: Sources

    /// Makes `observed` the complete set of VMs that `source` sees now: adds the new ones, updates
    /// the known ones and drops the ones it no longer reports. A process already claimed by a
    /// source of higher precedence keeps that source's identity.
    @discardableResult
    public func reconcile(source: VMSource, observed: [VMIdentity], nowUnixSeconds: Double) -> RegistryChanges {
        state.withLock { state in
            var changes = RegistryChanges()
            var seen = Set<ProcessIdentity>()
            for identity in observed where identity.source == source {
                seen.insert(identity.process)
                Self.upsert(identity, into: &state, now: nowUnixSeconds, changes: &changes)
            }
            for (process, entry) in state.entries where entry.identity.source == source && !seen.contains(process) {
                state.entries[process] = nil
                changes.removed.append(entry.identity)
            }
            return changes
        }
    }

    /// Adds or refreshes one VM, unless its process is claimed by a source of higher precedence.
    @discardableResult
    public func upsert(_ identity: VMIdentity, nowUnixSeconds: Double) -> RegistryChanges {
        state.withLock { state in
            var changes = RegistryChanges()
            Self.upsert(identity, into: &state, now: nowUnixSeconds, changes: &changes)
            return changes
        }
    }

    /// Removes the VM run by `process`, whatever its source; returns it if it was there.
    @discardableResult
    public func remove(process: ProcessIdentity) -> VMIdentity? {
        state.withLock { state in
            state.entries.removeValue(forKey: process)?.identity
        }
    }

    /// Records what a source's connection looks like, for `/health`.
    public func setStatus(_ status: SourceStatus, for source: VMSource) {
        state.withLock { $0.sources[source] = status }
    }

    private static func upsert(_ identity: VMIdentity, into state: inout State, now: Double, changes: inout RegistryChanges) {
        if var entry = state.entries[identity.process] {
            guard identity.source.precedence >= entry.identity.source.precedence else { return }
            if entry.identity != identity {
                changes.updated.append((old: entry.identity, new: identity))
                entry.identity = identity
                state.entries[identity.process] = entry
            }
        } else {
            state.entries[identity.process] = Entry(identity: identity, firstSeenUnixSeconds: now)
            changes.added.append(identity)
        }
    }

    // MARK: Sampling

    /// The processes to sample.
    public func processes() -> [ProcessIdentity] {
        state.withLock { Array($0.entries.keys) }
    }

    /// Stores one round of samples; samples for processes no longer registered are ignored.
    public func record(_ samples: [(ProcessIdentity, UsageSample)], round: SampleRound) {
        state.withLock { state in
            for (process, sample) in samples {
                guard var entry = state.entries[process] else { continue }
                entry.usage = sample
                if entry.history.count >= historyLength {
                    entry.history.removeFirst(entry.history.count - historyLength + 1)
                }
                entry.history.append(sample)
                state.entries[process] = entry
            }
            state.lastSample = round
        }
    }

    // MARK: Reading

    /// Every VM, sorted by name then PID.
    public func records() -> [VMRecord] {
        let records = state.withLock { state in
            state.entries.values.map(Self.record(of:))
        }
        return records.sorted {
            ($0.identity.name, $0.identity.process.pid) < ($1.identity.name, $1.identity.process.pid)
        }
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
                    byName.append(Self.record(of: entry))
                } else if entry.identity.uuid == lowercased || entry.identity.process.pid == pid {
                    byOther.append(Self.record(of: entry))
                }
            }
            return byName.isEmpty ? byOther : byName
        }
        switch matches.count {
        case 0: return .notFound
        case 1: return .found(matches[0])
        default: return .ambiguous(matches.sorted { $0.identity.process.pid < $1.identity.process.pid })
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
                lastSample: state.lastSample,
                sources: state.sources
            )
        }
    }

    private static func record(of entry: Entry) -> VMRecord {
        VMRecord(
            identity: entry.identity,
            usage: entry.usage,
            history: entry.history,
            firstSeenUnixSeconds: entry.firstSeenUnixSeconds
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

/// What one registry update changed.
public struct RegistryChanges: Sendable {
    public var added: [VMIdentity] = []
    public var removed: [VMIdentity] = []
    public var updated: [(old: VMIdentity, new: VMIdentity)] = []

    public init() {}

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && updated.isEmpty }
}

/// The answer to a lookup by name, UUID or PID.
public enum VMLookup: Sendable, Equatable {
    case found(VMRecord)
    /// Several VMs share the name asked for.
    case ambiguous([VMRecord])
    case notFound
}

/// One sampling round as a whole.
public struct SampleRound: Sendable, Equatable {
    /// When the round ended, in seconds since the Unix epoch.
    public var finishedAtUnixSeconds: Double
    /// How long discovery plus sampling took, in seconds.
    public var durationSeconds: Double
    public var vmCount: Int

    public init(finishedAtUnixSeconds: Double, durationSeconds: Double, vmCount: Int) {
        self.finishedAtUnixSeconds = finishedAtUnixSeconds
        self.durationSeconds = durationSeconds
        self.vmCount = vmCount
    }
}

/// The state of one VM source, as `/health` shows it.
public struct SourceStatus: Sendable, Equatable {
    /// True while the source works (for libvirt: connected).
    public var available: Bool
    /// Last time the source reported anything, in seconds since the Unix epoch.
    public var lastUpdateUnixSeconds: Double?
    /// Free text: the URI, the last error.
    public var detail: String?

    public init(available: Bool, lastUpdateUnixSeconds: Double? = nil, detail: String? = nil) {
        self.available = available
        self.lastUpdateUnixSeconds = lastUpdateUnixSeconds
        self.detail = detail
    }
}

/// The registry as a whole.
public struct RegistryStatus: Sendable, Equatable {
    public var vmCount: Int
    public var vmCountBySource: [VMSource: Int]
    public var lastSample: SampleRound?
    public var sources: [VMSource: SourceStatus]
}
