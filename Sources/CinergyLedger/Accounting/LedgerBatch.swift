public import CinergyCore

/// What one flush writes: per VM, its identity, its new amounts by minute and model version, and
/// its checkpoint; and the ledger's host state. The store adds each entry's amounts to the VM's
/// totals (never `max()`), to its minute buckets and to the hour buckets they fall in.
public struct LedgerBatch: Sendable {
    /// One VM's part of a batch.
    public struct Entry: Sendable {
        /// The VM as last seen in the registry.
        public var identity: VMIdentity
        /// When the agent first and last saw the VM in this batch, Unix seconds.
        public var firstSeenUnixSeconds: Double
        public var lastSeenUnixSeconds: Double
        /// New amounts, by minute and model version.
        public var buckets: [LedgerBucketKey: BucketAmount]
        /// How far the account is counted as of this batch; nil leaves the stored one.
        public var checkpoint: LedgerCheckpoint?

        public init(
            identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double,
            buckets: [LedgerBucketKey: BucketAmount] = [:], checkpoint: LedgerCheckpoint? = nil
        ) {
            self.identity = identity
            self.firstSeenUnixSeconds = firstSeenUnixSeconds
            self.lastSeenUnixSeconds = lastSeenUnixSeconds
            self.buckets = buckets
            self.checkpoint = checkpoint
        }

        /// An entry whose amounts are all under one model version (`modelParameters`, its
        /// canonical text), by the Unix second their minute starts at.
        public init(
            identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double, minutes: [Int64: BucketAmount],
            modelParameters: String = ModelVersion.unrecordedParameters, checkpoint: LedgerCheckpoint? = nil
        ) {
            var buckets: [LedgerBucketKey: BucketAmount] = [:]
            for (minute, amount) in minutes { buckets[LedgerBucketKey(minuteStart: minute, modelParameters: modelParameters)] = amount }
            self.init(
                identity: identity, firstSeenUnixSeconds: firstSeenUnixSeconds, lastSeenUnixSeconds: lastSeenUnixSeconds,
                buckets: buckets, checkpoint: checkpoint
            )
        }

        /// The entry's amounts by minute, model versions added up.
        public var minutes: [Int64: BucketAmount] {
            buckets.reduce(into: [:]) { $0[$1.key.minuteStart, default: BucketAmount()] += $1.value }
        }

        /// The sum of the entry's amounts.
        public var total: BucketAmount {
            buckets.values.reduce(into: BucketAmount()) { $0 += $1 }
        }
    }

    /// By ledger key.
    public var entries: [String: Entry] = [:]
    /// The host as of this batch; nil leaves the stored state.
    public var hostState: LedgerHostState?

    public init(entries: [String: Entry] = [:], hostState: LedgerHostState? = nil) {
        self.entries = entries
        self.hostState = hostState
    }

    /// What the accounts handed over (``Accounts/takePending()``).
    public init(accounts batch: AccountBatch) {
        for (key, entry) in batch.entries {
            var buckets: [LedgerBucketKey: BucketAmount] = [:]
            for (bucket, amount) in entry.buckets {
                buckets[LedgerBucketKey(minuteStart: bucket.minuteStart, modelParameters: bucket.modelParameters)] = amount.amount
            }
            entries[key] = Entry(
                identity: entry.identity, firstSeenUnixSeconds: entry.firstSeenUnixSeconds, lastSeenUnixSeconds: entry.lastSeenUnixSeconds,
                buckets: buckets, checkpoint: entry.checkpoint
            )
        }
    }

    public var isEmpty: Bool { entries.isEmpty && hostState == nil }

    /// Adds `later` (a batch taken after this one) to this one: a failed flush is merged back
    /// into what is pending, so it is written by the next.
    public mutating func merge(_ later: LedgerBatch) {
        for (key, next) in later.entries {
            guard var entry = entries[key] else {
                entries[key] = next
                continue
            }
            entry.identity = next.identity
            entry.firstSeenUnixSeconds = min(entry.firstSeenUnixSeconds, next.firstSeenUnixSeconds)
            entry.lastSeenUnixSeconds = max(entry.lastSeenUnixSeconds, next.lastSeenUnixSeconds)
            for (bucket, amount) in next.buckets { entry.buckets[bucket, default: BucketAmount()] += amount }
            if let checkpoint = next.checkpoint { entry.checkpoint = checkpoint }
            entries[key] = entry
        }
        if let state = later.hostState { hostState = state }
    }

    /// The energy in the batch's buckets, in joules.
    public var energyJoules: Double {
        entries.values.reduce(0) { $0 + $1.buckets.values.reduce(0) { $0 + $1.energyJoules } }
    }
}

/// A pending bucket: its minute (Unix seconds, a multiple of 60) and the model version in force
/// (its canonical text, ``ModelVersion/canonicalText``).
public struct LedgerBucketKey: Hashable, Sendable {
    public var minuteStart: Int64
    public var modelParameters: String

    public init(minuteStart: Int64, modelParameters: String) {
        self.minuteStart = minuteStart
        self.modelParameters = modelParameters
    }
}
