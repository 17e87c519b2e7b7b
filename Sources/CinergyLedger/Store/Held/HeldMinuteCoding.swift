import CinergyCore

/// The held entries of a flush (each VM's amounts of the minute still running, with its identity,
/// when it was seen and its checkpoint) as the one blob `held_minute` stores, and back.
///
/// Little-endian, no padding: a version byte, the entry count, then per entry its ledger key, its
/// `vm` row id, its identity (name, UUID, Nova names), first and last seen, its checkpoint, and its
/// buckets (minute start, model version id, the amount's ten figures, the optional ones flagged).
/// A fixed layout read and written by these two types only; an unknown version is not read
/// (``HeldMinuteDecoder/Failure``), which leaves the held amounts in the file for a build that knows it.
/// Version 2 added the attributed seconds after the attributed joules (ledger v6); version 1,
/// written by the build before, is read with its attributed joules covering the bucket's running
/// seconds, as v6's migration takes the rows.
enum HeldMinuteCoding {
    static let version: UInt8 = 2
}

/// One held entry as stored: the VM (ledger key, `vm` row id, identity), when it was seen, its
/// checkpoint and its buckets by model version id.
struct HeldEntry: Sendable {
    /// One bucket of the minute still running.
    struct Bucket: Sendable {
        var minuteStart: Int64
        var modelVersionID: Int64
        var amount: BucketAmount
    }

    var key: String
    var vmID: Int64
    var identity: VMIdentity
    var firstSeenUnixSeconds: Double
    var lastSeenUnixSeconds: Double
    var checkpoint: LedgerCheckpoint?
    var buckets: [Bucket]

    init(
        key: String, vmID: Int64, identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double,
        checkpoint: LedgerCheckpoint?, buckets: [Bucket]
    ) {
        self.key = key
        self.vmID = vmID
        self.identity = identity
        self.firstSeenUnixSeconds = firstSeenUnixSeconds
        self.lastSeenUnixSeconds = lastSeenUnixSeconds
        self.checkpoint = checkpoint
        self.buckets = buckets
    }

    /// The batch entry again, each model version id turned into its canonical text by `parameters`.
    func batchEntry(parameters: [Int64: String]) -> LedgerBatch.Entry {
        var byKey: [LedgerBucketKey: BucketAmount] = [:]
        for bucket in buckets {
            let key = LedgerBucketKey(minuteStart: bucket.minuteStart, modelParameters: parameters[bucket.modelVersionID] ?? "")
            byKey[key, default: BucketAmount()] += bucket.amount
        }
        return LedgerBatch.Entry(
            identity: identity, firstSeenUnixSeconds: firstSeenUnixSeconds, lastSeenUnixSeconds: lastSeenUnixSeconds, buckets: byKey,
            checkpoint: checkpoint
        )
    }
}

struct HeldMinuteEncoder {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        bytes.append(HeldMinuteCoding.version)
    }

    mutating func append(count: Int) { append(UInt32(clamping: count)) }

    /// Writes `count` over the entry count ``append(count:)`` wrote first (for an encoder that
    /// learns the count as it goes).
    mutating func setCount(_ count: Int) {
        let value = UInt32(clamping: count).littleEndian
        withUnsafeBytes(of: value) { raw in
            for (offset, byte) in raw.enumerated() { bytes[1 + offset] = byte }
        }
    }

    mutating func append(_ entry: HeldEntry) {
        appendEntry(
            key: entry.key, vmID: entry.vmID, identity: entry.identity, firstSeenUnixSeconds: entry.firstSeenUnixSeconds,
            lastSeenUnixSeconds: entry.lastSeenUnixSeconds, checkpoint: entry.checkpoint, bucketCount: entry.buckets.count
        )
        for bucket in entry.buckets { appendBucket(minuteStart: bucket.minuteStart, modelVersionID: bucket.modelVersionID, amount: bucket.amount) }
    }

    /// An entry's head; its `bucketCount` buckets follow (``appendBucket(minuteStart:modelVersionID:amount:)``).
    mutating func appendEntry(
        key: String, vmID: Int64, identity: VMIdentity, firstSeenUnixSeconds: Double, lastSeenUnixSeconds: Double,
        checkpoint: LedgerCheckpoint?, bucketCount: Int
    ) {
        append(key)
        append(vmID)
        append(identity.name)
        append(optional: identity.uuid)
        let nova = identity.nova
        append(flag: nova != nil)
        if let nova {
            append(optional: nova.displayName)
            append(optional: nova.projectID)
            append(optional: nova.projectName)
            append(optional: nova.userID)
            append(optional: nova.userName)
            append(optional: nova.flavorName)
        }
        append(firstSeenUnixSeconds)
        append(lastSeenUnixSeconds)
        append(flag: checkpoint != nil)
        if let checkpoint {
            append(Int64(checkpoint.process.pid))
            append(Int64(clamping: checkpoint.process.startTimeTicks))
            append(Int64(clamping: checkpoint.cpuTicks))
            append(checkpoint.unixSeconds)
        }
        append(count: bucketCount)
    }

    mutating func appendBucket(minuteStart: Int64, modelVersionID: Int64, amount: BucketAmount) {
        append(minuteStart)
        append(modelVersionID)
        append(amount.energyJoules)
        append(amount.staticJoules)
        append(amount.dynamicJoules)
        append(amount.carbonGrams)
        append(amount.runningSeconds)
        append(amount.cpuSeconds)
        append(amount.reconstructedJoules)
        append(optional: amount.embodiedGrams)
        append(optional: amount.attributedJoules)
        append(amount.attributedSeconds)
    }

    private mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func append(_ value: Int64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func append(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func append(flag: Bool) { bytes.append(flag ? 1 : 0) }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            append(UInt32(clamping: utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    private mutating func append(optional text: String?) {
        append(flag: text != nil)
        if let text { append(text) }
    }

    private mutating func append(optional value: Double?) {
        append(flag: value != nil)
        if let value { append(value) }
    }
}

struct HeldMinuteDecoder {
    /// The blob is not one this build wrote: cut short, or of another version.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Every entry of the blob.
    mutating func entries() throws(Failure) -> [HeldEntry] {
        guard !bytes.isEmpty else { return [] }
        let version = try byte()
        guard version == HeldMinuteCoding.version || version == 1 else {
            throw Failure(description: "held minute of format \(version), not \(HeldMinuteCoding.version)")
        }
        let count = Int(try uint32())
        var entries: [HeldEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let key = try string()
            let vmID = try int64()
            let name = try string()
            let uuid = try optionalString()
            var nova: NovaInstance?
            if try flag() {
                nova = NovaInstance(
                    displayName: try optionalString(), projectID: try optionalString(), projectName: try optionalString(),
                    userID: try optionalString(), userName: try optionalString(), flavorName: try optionalString()
                )
            }
            let first = try double()
            let last = try double()
            var checkpoint: LedgerCheckpoint?
            if try flag() {
                let pid = try int64()
                let start = try int64()
                let ticks = try int64()
                let unix = try double()
                checkpoint = LedgerCheckpoint(
                    process: ProcessIdentity(pid: Int32(clamping: pid), startTimeTicks: UInt64(max(0, start))),
                    cpuTicks: UInt64(max(0, ticks)), unixSeconds: unix
                )
            }
            let bucketCount = Int(try uint32())
            var buckets: [HeldEntry.Bucket] = []
            buckets.reserveCapacity(bucketCount)
            for _ in 0..<bucketCount {
                let minute = try int64()
                let versionID = try int64()
                var amount = BucketAmount(
                    energyJoules: try double(), staticJoules: try double(), dynamicJoules: try double(), carbonGrams: try double(),
                    runningSeconds: try double(), cpuSeconds: try double(), reconstructedJoules: try double(),
                    embodiedGrams: try optionalDouble(), attributedJoules: try optionalDouble()
                )
                if version >= 2 {
                    amount.attributedSeconds = try double()
                } else if amount.attributedJoules != nil {
                    amount.attributedSeconds = amount.runningSeconds
                }
                buckets.append(HeldEntry.Bucket(minuteStart: minute, modelVersionID: versionID, amount: amount))
            }
            let identity = VMIdentity(name: name, uuid: uuid, process: nil, vcpus: 0, source: .procfs, nova: nova)
            entries.append(
                HeldEntry(
                    key: key, vmID: vmID, identity: identity, firstSeenUnixSeconds: first, lastSeenUnixSeconds: last,
                    checkpoint: checkpoint, buckets: buckets
                )
            )
        }
        return entries
    }

    private mutating func take(_ count: Int) throws(Failure) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - offset >= count else { throw Failure(description: "held minute cut short at byte \(offset)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    private mutating func byte() throws(Failure) -> UInt8 { try take(1).first ?? 0 }

    private mutating func flag() throws(Failure) -> Bool { try byte() != 0 }

    private mutating func uint32() throws(Failure) -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    private mutating func uint64() throws(Failure) -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func int64() throws(Failure) -> Int64 { Int64(bitPattern: try uint64()) }

    private mutating func double() throws(Failure) -> Double { Double(bitPattern: try uint64()) }

    private mutating func string() throws(Failure) -> String {
        let count = Int(try uint32())
        return String(decoding: try take(count), as: UTF8.self)
    }

    private mutating func optionalString() throws(Failure) -> String? {
        try flag() ? try string() : nil
    }

    private mutating func optionalDouble() throws(Failure) -> Double? {
        try flag() ? try double() : nil
    }
}
