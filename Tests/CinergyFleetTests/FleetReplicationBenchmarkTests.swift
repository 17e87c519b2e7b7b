import CinergyCore
import CinergyLedger
import Foundation
import Testing

@testable import CinergyFleet

/// How fast one round sends a ledger to the PostgreSQL of scripts/postgres (docs/FLEET.md,
/// "Measured"). Runs only with `CINERGY_FLEET_BENCH=1` and the test database's variables:
///
///     dir=$(scripts/postgres start); set -a; . $dir/env; set +a
///     CINERGY_FLEET_BENCH=1 swift test --skip-build --filter FleetReplicationBenchmarkTests
///     scripts/postgres destroy $dir
@Suite(
    "Fleet replication throughput",
    .enabled(if: ProcessInfo.processInfo.environment["CINERGY_FLEET_BENCH"] == "1" && TestPostgres.isAvailable)
)
struct FleetReplicationBenchmarkTests {
    @Test("30 VMs x 24 hours of minutes: rows per second of a first round and of a resend")
    func throughput() async throws {
        try await withReplicators { replicators in
            let url = try await TestPostgres.freshDatabase()
            let ledger = try TestLedger()
            let start: Int64 = 1_764_547_200
            for hour in 0..<24 {
                try ledger.flush(vmCount: 30, startMinute: start + Int64(hour * 3600), minutes: 60)
            }
            let replicator = replicators.make(ledger, url: url, password: try TestPostgres.password, host: "bench")
            let clock = ContinuousClock()
            let first = clock.now
            let status = await replicator.replicateOnce()
            let firstSeconds = (clock.now - first) / .seconds(1)
            #expect(status.state == .ok)
            let rows = status.rowsSent
            let reader = try LedgerChangeReader(path: ledger.path)
            try reader.setReplicated(sequence: 0, target: replicator.configuration.target, atUnixSeconds: 0)
            let again = clock.now
            #expect(await replicator.replicateOnce().state == .ok)
            let againSeconds = (clock.now - again) / .seconds(1)
            print(
                "fleet replication: \(rows) rows in \(String(format: "%.2f", firstSeconds)) s (\(Int(Double(rows) / firstSeconds)) rows/s) first round, "
                    + "\(String(format: "%.2f", againSeconds)) s (\(Int(Double(rows) / againSeconds)) rows/s) resending every row"
            )
        }
    }
}
