/// What ``Accounts/takePending()`` hands the ledger: per ledger key, the VM's identity, the amounts
/// counted since the last take by minute and model version, and its checkpoint.
public struct AccountBatch: Sendable {
    /// A pending bucket: the Unix second its minute starts at and the model version in force (its
    /// canonical text).
    public struct BucketKey: Hashable, Sendable {
        public var minuteStart: Int64
        public var modelParameters: String

        public init(minuteStart: Int64, modelParameters: String) {
            self.minuteStart = minuteStart
            self.modelParameters = modelParameters
        }
    }

    /// An amount in one bucket and the part of the minute it covers (Unix seconds): how a bucket
    /// that straddles a checkpoint is prorated.
    public struct Bucket: Sendable, Equatable {
        public var amount: AccountAmount
        public var fromUnixSeconds: Double
        public var toUnixSeconds: Double

        public init(amount: AccountAmount, fromUnixSeconds: Double, toUnixSeconds: Double) {
            self.amount = amount
            self.fromUnixSeconds = fromUnixSeconds
            self.toUnixSeconds = toUnixSeconds
        }

        mutating func add(_ other: Bucket) {
            amount += other.amount
            fromUnixSeconds = min(fromUnixSeconds, other.fromUnixSeconds)
            toUnixSeconds = max(toUnixSeconds, other.toUnixSeconds)
        }
    }

    public struct Entry: Sendable {
        public var identity: VMIdentity
        /// When the VM was first and last seen in the batch, Unix seconds.
        public var firstSeenUnixSeconds: Double
        public var lastSeenUnixSeconds: Double
        public var buckets: [BucketKey: Bucket]
        /// The last reading of the VM's process; nil when it has none.
        public var checkpoint: ProcessReading?

        public init(
            identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double, buckets: [BucketKey: Bucket] = [:],
            checkpoint: ProcessReading? = nil
        ) {
            self.identity = identity
            self.firstSeenUnixSeconds = firstSeenUnixSeconds
            self.lastSeenUnixSeconds = lastSeenUnixSeconds
            self.buckets = buckets
            self.checkpoint = checkpoint
        }
    }

    /// By ledger key.
    public var entries: [String: Entry] = [:]

    public init(entries: [String: Entry] = [:]) {
        self.entries = entries
    }

    /// The energy in the batch, joules.
    public var energyJoules: Double {
        entries.values.reduce(0) { $0 + $1.buckets.values.reduce(0) { $0 + $1.amount.energyJoules } }
    }
}
