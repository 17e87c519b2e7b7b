public import CinergyCore

/// A `vm` row changed after a replication watermark: the VM's identity and its totals as stored.
public struct LedgerChangedVM: Sendable, Equatable {
    /// The sequence of the write that last changed the row (`change_seq`).
    public var sequence: Int64
    /// The row's id in this ledger (only meaningful here: the fleet keys VMs by ``key``).
    public var id: Int64
    /// The ledger key: the UUID, else `name:` and the name (``VMIdentity/ledgerKey``).
    public var key: String
    public var name: String
    public var uuid: String?
    public var nova: NovaInstance?
    /// When the agent first and last saw the VM, Unix seconds.
    public var firstSeenUnixSeconds: Double
    public var lastSeenUnixSeconds: Double
    /// The VM's totals: energy (J, with its static, dynamic and reconstructed parts), carbon (g),
    /// CPU time (s) and running time (s); with ledger v3's embodied grams and attributed joules
    /// (nil where they were not accounted) and v6's attributed seconds.
    public var totals: BucketAmount

    public init(
        sequence: Int64, id: Int64, key: String, name: String, uuid: String?, nova: NovaInstance?, firstSeenUnixSeconds: Double,
        lastSeenUnixSeconds: Double, totals: BucketAmount
    ) {
        self.sequence = sequence
        self.id = id
        self.key = key
        self.name = name
        self.uuid = uuid
        self.nova = nova
        self.firstSeenUnixSeconds = firstSeenUnixSeconds
        self.lastSeenUnixSeconds = lastSeenUnixSeconds
        self.totals = totals
    }
}
