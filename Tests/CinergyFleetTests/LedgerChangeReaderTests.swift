import CinergyCore
import CinergyLedger
import Foundation
import Testing

/// The ledger's change sequences and watermark (v4), on a real SQLite file; no PostgreSQL.
@Suite("Ledger change sequences and watermark")
struct LedgerChangeReaderTests {
    static let minute0: Int64 = 1_764_547_200

    @Test("each write moves the counter; rows changed after a watermark are exactly those the later writes touched")
    func changesAfterAWatermark() throws {
        let ledger = try TestLedger()
        try ledger.flush(vmCount: 3, startMinute: Self.minute0, minutes: 2)
        let reader = try LedgerChangeReader(path: ledger.path)
        let first = try reader.state()
        #expect(first.replicatedSequence == 0)
        #expect(first.target == nil)
        #expect(try reader.changedRowCount(after: 0) == 3 + 2 + 6 + 6)  // VMs, models A and B, minutes, hours by version
        try reader.setReplicated(sequence: first.changeSequence, target: "central", atUnixSeconds: 100)
        #expect(try reader.changedRowCount(after: first.changeSequence) == 0)
        // VM 1 alone, one minute that exists and one new: its row, those two minutes, the hour.
        var batch = LedgerBatch()
        let identity = TestLedger.identity(1)
        batch.entries[identity.ledgerKey] = LedgerBatch.Entry(
            identity: identity, firstSeenUnixSeconds: Double(Self.minute0), lastSeenUnixSeconds: Double(Self.minute0 + 180),
            minutes: [Self.minute0 + 60: BucketAmount(energyJoules: 1), Self.minute0 + 120: BucketAmount(energyJoules: 2)],
            modelParameters: TestLedger.modelB
        )
        try ledger.store.write(batch)
        let second = try reader.state()
        #expect(second.changeSequence == first.changeSequence + 1)
        #expect(second.watermark(for: "central") == first.changeSequence)
        #expect(second.watermark(for: "another database") == 0)
        let vms = try reader.changedVMs(after: first.changeSequence, through: second.changeSequence, last: nil, limit: 10)
        #expect(vms.map(\.key) == [identity.ledgerKey])
        #expect(vms.first?.sequence == second.changeSequence)
        let minutes = try reader.changedBuckets(.minute, after: first.changeSequence, through: second.changeSequence, last: nil, limit: 10)
        #expect(minutes.map(\.start) == [Self.minute0 + 60, Self.minute0 + 120])
        // The figures as stored now: the first minute had 10.1 J (seed 1, VM 1, minute 1) plus 1.
        #expect(abs((minutes.first?.energyJoules ?? 0) - 12.1) < 1e-9)
        let hours = try reader.changedBuckets(.hour, after: first.changeSequence, through: second.changeSequence, last: nil, limit: 10)
        #expect(hours.count == 1)
        let versions = try reader.changedModelVersions(after: first.changeSequence, through: second.changeSequence)
        #expect(versions.map(\.parameters) == [TestLedger.modelB])
        #expect(versions.first?.digest.count == 64)
        // Nothing beyond `through`.
        #expect(try reader.changedVMs(after: first.changeSequence, through: first.changeSequence, last: nil, limit: 10).isEmpty)
    }

    @Test("pages of any size give every changed row once, in sequence order")
    func paging() throws {
        let ledger = try TestLedger()
        for round in 0..<4 {
            try ledger.flush(vmCount: 5, startMinute: Self.minute0 + Int64(round * 600), minutes: 7, seed: Double(round + 1))
        }
        let reader = try LedgerChangeReader(path: ledger.path)
        let through = try reader.state().changeSequence
        let all = try reader.changedBuckets(.minute, after: 0, through: through, last: nil, limit: 10_000)
        #expect(all.count == 4 * 5 * 7)
        for limit in [1, 3, 13] {
            var paged: [LedgerChangedBucket] = []
            while true {
                let page = try reader.changedBuckets(.minute, after: 0, through: through, last: paged.last, limit: limit)
                if page.isEmpty { break }
                #expect(page.count <= limit)
                paged += page
            }
            #expect(paged == all)
        }
        #expect(all.map(\.sequence) == all.map(\.sequence).sorted())
        var vms: [LedgerChangedVM] = []
        while true {
            let page = try reader.changedVMs(after: 0, through: through, last: vms.last, limit: 2)
            if page.isEmpty { break }
            vms += page
        }
        #expect(Set(vms.map(\.key)).count == 5)
        #expect(vms.count == 5)
    }
}
