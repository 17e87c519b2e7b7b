import CinergyAgent
import CinergyCore
import CinergyFleet
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `/health`'s `fleet` and the `cinergy_fleet_*` series (issue 20), from a replicator's state.
@Suite("HTTP API: the fleet's replication state")
struct FleetRouteTests {
    static func get(_ uri: String, fleet: FleetReplicator?) async throws -> String {
        let configuration = AgentConfiguration(
            coefficients: [10, 1], cinergyRatio: 0.5, serverCores: 4, pue: 1.2, emissionFactorGramsPerKilowattHour: 100
        )
        let registry = VMRegistry(accounting: configuration.accounting)
        let app = Application(router: buildRouter(configuration: configuration, registry: registry, fleet: fleet))
        return try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
        }
    }

    @Test("off without a replicator; a replicator whose ledger is not open waits, and says so")
    func states() async throws {
        let health = try #require(
            JSONSerialization.jsonObject(with: Data(try await Self.get("/health", fleet: nil).utf8)) as? [String: Any]
        )
        let off = try #require(health["fleet"] as? [String: Any])
        #expect(off["state"] as? String == "off")
        #expect(off["rows_sent"] as? Int == 0)
        #expect(try await Self.get("/metrics", fleet: nil).contains("cinergy_fleet_") == false)

        let replicator = FleetReplicator(
            configuration: FleetConfiguration(
                url: FleetDatabaseURL(user: "cinergy", host: "127.0.0.1", port: 1, database: "fleet"), password: FleetPassword("pw-not-shown"),
                hostIdentity: "hv-01"
            ),
            ledgerPath: { nil }, logger: Logger(label: "test")
        )
        let status = await replicator.replicateOnce()
        #expect(status.state == .waitingForLedger)
        let text = try await Self.get("/health", fleet: replicator)
        #expect(!text.contains("pw-not-shown"))
        let body = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let fleet = try #require(body["fleet"] as? [String: Any])
        #expect(fleet["state"] as? String == "waiting_for_ledger")
        #expect(fleet["host_identity"] as? String == "hv-01")
        #expect(fleet["database"] as? String == "postgres://cinergy@127.0.0.1:1/fleet?sslmode=prefer")
        let metrics = try await Self.get("/metrics", fleet: replicator)
        #expect(metrics.contains("cinergy_fleet_replication_up 0"))
        #expect(metrics.contains("cinergy_fleet_replication_rows_total 0"))
    }
}
