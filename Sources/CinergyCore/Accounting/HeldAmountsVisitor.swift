/// Receives, from ``Accounts/takePending(holdingFrom:holding:)``, what stays pending
/// of each VM after a take (the amounts of the minute still running) while the accounts' lock is
/// held: the ledger encodes it into its held row straight from the accounts, with no copy.
public protocol HeldAmountsVisitor {
    /// Whether the VM of `key` can be held (the ledger has its row); when not, its whole account
    /// is taken. Asked before ``hold(key:identity:firstSeenUnixSeconds:lastSeenUnixSeconds:checkpoint:bucketCount:)``.
    mutating func canHold(key: String) -> Bool

    /// A VM with `bucketCount` held buckets (each then given to ``holdBucket(minuteStart:version:amount:)``);
    /// `checkpoint` is its last reading when the rows written out do not have it yet, else nil.
    mutating func hold(
        key: String, identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double, checkpoint: ProcessReading?,
        bucketCount: Int
    )

    /// One held bucket: its minute (Unix seconds), its model version (the index into
    /// ``Accounts/modelVersionTexts``) and its amount.
    mutating func holdBucket(minuteStart: Int64, version: Int, amount: AccountAmount)
}
