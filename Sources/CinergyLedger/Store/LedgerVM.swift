public import CinergyCore

/// A VM as the ledger knows it.
public struct LedgerVM: Sendable, Equatable {
    public var id: Int64
    public var key: String
    public var name: String
    public var uuid: String?
    public var nova: NovaInstance?
    public var firstSeenUnixSeconds: Double
    public var lastSeenUnixSeconds: Double
    /// Cumulative counters as of the last flush.
    public var energyJoules: Double
    public var carbonGrams: Double

    public init(
        id: Int64, key: String, name: String, uuid: String?, nova: NovaInstance?, firstSeenUnixSeconds: Double,
        lastSeenUnixSeconds: Double, energyJoules: Double, carbonGrams: Double
    ) {
        self.id = id
        self.key = key
        self.name = name
        self.uuid = uuid
        self.nova = nova
        self.firstSeenUnixSeconds = firstSeenUnixSeconds
        self.lastSeenUnixSeconds = lastSeenUnixSeconds
        self.energyJoules = energyJoules
        self.carbonGrams = carbonGrams
    }

    /// When the VM was ever counted, [first seen, last seen]: all its counted time lies within.
    public var active: LedgerPeriod {
        LedgerPeriod(fromUnixSeconds: firstSeenUnixSeconds, toUnixSeconds: lastSeenUnixSeconds)
    }
}
