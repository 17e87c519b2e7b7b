/// Where the ledger's changes and their replication stand (`replication_state`).
public struct LedgerReplicationState: Sendable, Equatable {
    /// The sequence of the last write (every changed row carries the sequence of its write).
    public var changeSequence: Int64
    /// The watermark: every change up to it is in the central database ``target`` names.
    public var replicatedSequence: Int64
    /// The central database and host identity the watermark is for; nil before the first round.
    public var target: String?
    /// When the round that set the watermark started, Unix seconds.
    public var replicatedAtUnixSeconds: Double?

    public init(changeSequence: Int64, replicatedSequence: Int64, target: String?, replicatedAtUnixSeconds: Double?) {
        self.changeSequence = changeSequence
        self.replicatedSequence = replicatedSequence
        self.target = target
        self.replicatedAtUnixSeconds = replicatedAtUnixSeconds
    }

    /// The watermark that applies for `target`: a watermark set for another database or host
    /// identity counts as 0 (everything is sent again).
    public func watermark(for target: String) -> Int64 {
        self.target == target ? replicatedSequence : 0
    }
}
