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

    /// When the VM was ever counted, [first seen, last seen]: all its counted time lies within.
    var active: LedgerPeriod {
        LedgerPeriod(fromUnixSeconds: firstSeenUnixSeconds, toUnixSeconds: lastSeenUnixSeconds)
    }
}
