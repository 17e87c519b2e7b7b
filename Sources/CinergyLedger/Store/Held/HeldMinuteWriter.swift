import CinergyCore

/// Encodes the held row (``HeldMinuteEncoder``) straight from the accounts while they hand over
/// what stays pending (``Accounts/takePending(holdingFrom:holding:)``): no batch, no
/// dictionary, one pass over the VMs.
struct HeldMinuteWriter: HeldAmountsVisitor {
    /// The `vm` row of each ledger key (a VM without one is written out whole, never held).
    let vmIDs: [String: Int64]
    /// The `model_version` id of each of the accounts' model versions, by their index.
    let modelVersionIDs: [Int64]
    private(set) var encoder: HeldMinuteEncoder
    private(set) var count = 0
    /// The row of the VM ``canHold(key:)`` was last asked about.
    private var vmID: Int64 = 0

    init(vmIDs: [String: Int64], modelVersionIDs: [Int64]) {
        self.vmIDs = vmIDs
        self.modelVersionIDs = modelVersionIDs
        encoder = HeldMinuteEncoder(capacity: 64 + vmIDs.count * 256)
        encoder.append(count: 0)
    }

    /// The row to store: nil when nothing is held.
    mutating func finish() -> [UInt8]? {
        guard count > 0 else { return nil }
        encoder.setCount(count)
        return encoder.bytes
    }

    mutating func canHold(key: String) -> Bool {
        guard let id = vmIDs[key] else { return false }
        vmID = id
        return true
    }

    mutating func hold(
        key: String, identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double, checkpoint: ProcessReading?,
        bucketCount: Int
    ) {
        count += 1
        encoder.appendEntry(
            key: key, vmID: vmID, identity: identity, firstSeenUnixSeconds: firstSeenUnixSeconds,
            lastSeenUnixSeconds: lastSeenUnixSeconds, checkpoint: checkpoint, bucketCount: bucketCount
        )
    }

    mutating func holdBucket(minuteStart: Int64, version: Int, amount: AccountAmount) {
        let id = modelVersionIDs.indices.contains(version) ? modelVersionIDs[version] : 0
        encoder.appendBucket(minuteStart: minuteStart, modelVersionID: id, amount: amount)
    }
}
