/// A `model_version` row changed after a replication watermark.
public struct LedgerChangedModelVersion: Sendable, Equatable {
    /// The sequence of the write that last changed the row (`change_seq`).
    public var sequence: Int64
    /// The row's id in this ledger.
    public var id: Int64
    /// The canonical text (``ModelVersion/canonicalText``).
    public var parameters: String
    /// The hex SHA-256 of ``parameters``: the version's name across hosts (ids are per ledger).
    public var digest: String
    /// When the version was first and last in force in a flushed bucket, Unix seconds.
    public var firstUsedUnixSeconds: Double
    public var lastUsedUnixSeconds: Double

    public init(sequence: Int64, id: Int64, parameters: String, digest: String, firstUsedUnixSeconds: Double, lastUsedUnixSeconds: Double) {
        self.sequence = sequence
        self.id = id
        self.parameters = parameters
        self.digest = digest
        self.firstUsedUnixSeconds = firstUsedUnixSeconds
        self.lastUsedUnixSeconds = lastUsedUnixSeconds
    }
}
