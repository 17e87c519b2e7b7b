import CinergyCore
import CinergyLedger
import Foundation
import PostgresNIO
import Testing

@testable import CinergyFleet

/// TLS with certificate verification against a real PostgreSQL with `ssl=on`, started for the
/// test (``TLSCluster``: its certificate signed by a CA made with openssl).
@Suite(
    "Fleet replication over TLS", .serialized, .timeLimit(.minutes(5)),
    .enabled(
        if: TLSCluster.canRun,
        "needs CINERGY_TEST_POSTGRES_URL and _PASSWORD_FILE (`make test`: scripts/postgres and PostgreSQL's binaries) and /usr/bin/openssl"
    )
)
struct FleetTLSTests {
    @Test("verify-full with the CA that signed the server's certificate: replicated and reported over an encrypted connection")
    func verifiedServer() async throws {
        let cluster = try TLSCluster()
        var url = cluster.url
        url.tlsMode = .verifyFull
        url.rootCertificateFile = cluster.caPath
        let ledger = try TestLedger()
        try ledger.flush(vmCount: 3, startMinute: FleetReplicationTests.minute0, minutes: 30)
        try await withReplicators { replicators in
            let status = await replicators.make(ledger, url: url, password: cluster.password, host: "hv-tls").replicateOnce()
            #expect(status.state == .ok, "\(status)")
            #expect(status.pendingRows == 0)
            // The connection the agent makes is encrypted: the server says so of it.
            var configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: cluster.password.text, database: url.database,
                tls: try FleetReplicator.tls(url)
            )
            configuration.options.connectTimeout = .seconds(10)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: TestPostgres.logger)
            var encrypted = false
            do {
                let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: TestPostgres.logger)
                for try await ssl in rows.decode(Bool.self) { encrypted = ssl }
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
            #expect(encrypted)
            let report = try await FleetReport.report(
                url: url, password: cluster.password, hosts: ["hv-tls"],
                period: LedgerPeriod(
                    fromUnixSeconds: Double(FleetReplicationTests.minute0), toUnixSeconds: Double(FleetReplicationTests.minute0) + 3600
                ), by: .vm, logger: TestPostgres.logger
            )
            let local = try ledger.store.reportNow(
                period: LedgerPeriod(
                    fromUnixSeconds: Double(FleetReplicationTests.minute0), toUnixSeconds: Double(FleetReplicationTests.minute0) + 3600
                ), by: .vm
            )
            #expect(report.rows.count == 3)
            #expect(abs(report.total.energyJoules - local.total.energyJoules) <= 1e-9 * local.total.energyJoules)
        }
    }

    @Test("a server whose certificate another CA signed is refused under verify-full and verify-ca (tls_failed), accepted under require")
    func unknownCA() async throws {
        let cluster = try TLSCluster()
        let ledger = try TestLedger()
        try ledger.flush(vmCount: 2, startMinute: FleetReplicationTests.minute0, minutes: 5)
        try await withReplicators { replicators in
            for mode in [FleetDatabaseURL.TLSMode.verifyFull, .verifyCA] {
                var url = cluster.url
                url.tlsMode = mode
                url.rootCertificateFile = cluster.otherCAPath
                let status = await replicators.make(ledger, url: url, password: cluster.password, host: "hv-tls").replicateOnce()
                #expect(status.state == .tlsFailed, "\(mode): \(status)")
                #expect(status.pendingRows ?? 0 > 0)
                await #expect(throws: FleetError.self) {
                    try await FleetReport.report(
                        url: url, password: cluster.password, hosts: [], period: LedgerPeriod(fromUnixSeconds: 0, toUnixSeconds: 60), by: .vm,
                        logger: TestPostgres.logger
                    )
                }
            }
            // `require` encrypts without checking the certificate.
            var url = cluster.url
            url.tlsMode = .require
            url.rootCertificateFile = cluster.otherCAPath
            let status = await replicators.make(ledger, url: url, password: cluster.password, host: "hv-tls").replicateOnce()
            #expect(status.state == .ok, "\(status)")
        }
    }

    @Test("a certificate for another name: refused under verify-full (tls_failed), accepted under verify-ca (the CA checked, not the name)")
    func otherName() async throws {
        let cluster = try TLSCluster(subjectAltName: "DNS:db.example.org")
        let ledger = try TestLedger()
        try ledger.flush(vmCount: 2, startMinute: FleetReplicationTests.minute0, minutes: 5)
        try await withReplicators { replicators in
            var url = cluster.url
            url.rootCertificateFile = cluster.caPath
            url.tlsMode = .verifyFull
            let refused = await replicators.make(ledger, url: url, password: cluster.password, host: "hv-tls").replicateOnce()
            #expect(refused.state == .tlsFailed, "\(refused)")
            url.tlsMode = .verifyCA
            let accepted = await replicators.make(ledger, url: url, password: cluster.password, host: "hv-tls").replicateOnce()
            #expect(accepted.state == .ok, "\(accepted)")
        }
    }
}
