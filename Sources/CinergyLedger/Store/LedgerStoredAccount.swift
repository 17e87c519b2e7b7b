public import CinergyCore

/// One VM's account as the ledger holds it: its totals (the sum of every flush's amounts) and how
/// far it has been counted.
public struct LedgerStoredAccount: Sendable, Equatable {
    public var totals: BucketAmount
    /// Nil until a flush stored one (and for VMs written by ledger v1).
    public var checkpoint: LedgerCheckpoint?

    public init(totals: BucketAmount, checkpoint: LedgerCheckpoint? = nil) {
        self.totals = totals
        self.checkpoint = checkpoint
    }
}
