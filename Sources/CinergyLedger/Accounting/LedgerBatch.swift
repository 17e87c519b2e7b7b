public import CinergyCore

/// What one flush writes: per VM, its identity, its cumulative totals and its new energy by minute.
public struct LedgerBatch: Sendable {
    /// One VM's part of a batch.
    public struct Entry: Sendable {
        /// The VM as last seen in the registry.
        public var identity: VMIdentity
        /// When the agent first and last saw the VM in this batch, Unix seconds.
        public var firstSeenUnixSeconds: Double
        public var lastSeenUnixSeconds: Double
        /// The VM's cumulative counters (what `/metrics` shows), joules and grams.
        public var totalJoules: Double
        public var totalGrams: Double
        /// New energy, carbon and running time, by the Unix second its minute starts at.
        public var minutes: [Int64: BucketAmount]

        public init(
            identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double, totalJoules: Double,
            totalGrams: Double, minutes: [Int64: BucketAmount] = [:]
        ) {
            self.identity = identity
            self.firstSeenUnixSeconds = firstSeenUnixSeconds
            self.lastSeenUnixSeconds = lastSeenUnixSeconds
            self.totalJoules = totalJoules
            self.totalGrams = totalGrams
            self.minutes = minutes
        }
    }

    /// By ledger key.
    public var entries: [String: Entry] = [:]

    public init(entries: [String: Entry] = [:]) {
        self.entries = entries
    }

    public var isEmpty: Bool { entries.isEmpty }

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
            entry.totalJoules = max(entry.totalJoules, next.totalJoules)
            entry.totalGrams = max(entry.totalGrams, next.totalGrams)
            for (minute, amount) in next.minutes { entry.minutes[minute, default: BucketAmount()] += amount }
            entries[key] = entry
        }
    }

    /// The energy in the batch's buckets, in joules.
    public var energyJoules: Double {
        entries.values.reduce(0) { $0 + $1.minutes.values.reduce(0) { $0 + $1.energyJoules } }
    }
}
