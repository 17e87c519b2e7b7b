@testable import CinergyAgent
import CinergyCore
import CinergyLedger
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SystemPackage
import Testing

/// `/energy` and `/report` through the router, on a real ledger database in a temporary directory.
@Suite("HTTP API: the ledger's reports", .serialized)
struct LedgerRouteTests {
    static let configuration = AgentConfiguration(
        coefficients: [1], cinergyRatio: 1, serverCores: 1, pue: 1, emissionFactorGramsPerKilowattHour: 100
    )
    static let start = 1_796_083_200.0  // 2026-12-01T00:00:00Z

    /// A ledger holding two hours of 1 W for `a` (UUID u-a) and one for two VMs named `twin`.
    static func withLedger(_ body: (Ledger) async throws -> Void) async throws {
        let path = NSTemporaryDirectory() + "cinergy-ledger-routes-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let registry = VMRegistry(accounting: configuration.accounting)
        let ledger = Ledger(
            configuration: LedgerConfiguration(stateDirectory: FilePath(path)), registry: registry, logger: Logger(label: "test")
        )
        await ledger.open()
        let store = try #require(ledger.store)
        var batch = LedgerBatch()
        func vm(_ name: String, _ uuid: String, project: String?) -> VMIdentity {
            VMIdentity(
                name: name, uuid: uuid, process: nil, vcpus: 1, source: .libvirt,
                nova: project.map { NovaInstance(projectID: $0, projectName: "p-" + $0) }
            )
        }
        var minutes: [Int64: BucketAmount] = [:]
        for minute in 0..<120 { minutes[Int64(start) + Int64(minute * 60)] = BucketAmount(energyJoules: 60, carbonGrams: 0.01, runningSeconds: 60) }
        batch.entries["u-a"] = LedgerBatch.Entry(
            identity: vm("a", "u-a", project: "x"), firstSeenUnixSeconds: start, lastSeenUnixSeconds: start + 7200, minutes: minutes
        )
        for twin in ["u-t1", "u-t2"] {
            batch.entries[twin] = LedgerBatch.Entry(
                identity: vm("twin", twin, project: nil), firstSeenUnixSeconds: start, lastSeenUnixSeconds: start,
                minutes: [Int64(start): BucketAmount(energyJoules: 60, carbonGrams: 0, runningSeconds: 60)]
            )
        }
        try store.write(batch)
        try await body(ledger)
    }

    static func get(_ ledger: Ledger, _ uri: String) async throws -> (status: HTTPResponse.Status, body: String) {
        let router = buildRouter(configuration: configuration, registry: VMRegistry(), ledger: ledger)
        let app = Application(router: router)
        return try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                (response.status, String(buffer: response.body))
            }
        }
    }

    @Test("GET /energy: totals and the series by step add up to the buckets")
    func energy() async throws {
        try await Self.withLedger { ledger in
            let (status, body) = try await Self.get(ledger, "/energy?vm=a&from=2026-12-01T00:00:00Z&to=2026-12-01T02:00:00Z&step=1h")
            #expect(status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["energy_joules"] as? Double == 7200)
            #expect(json["energy_kwh"] as? Double == 0.002)
            #expect(json["running_seconds"] as? Double == 7200)
            #expect(json["mean_power_watts"] as? Double == 1)
            let series = try #require(json["series"] as? [[String: Any]])
            #expect(series.map { $0["energy_joules"] as? Double } == [3600, 3600])
            #expect(series.first?["start"] as? String == "2026-12-01T00:00:00.000Z")
            // By minute, from a minute that is not a step boundary.
            let (_, byMinute) = try await Self.get(ledger, "/energy?vm=u-a&from=2026-12-01T00:30:00Z&to=2026-12-01T01:00:00Z&step=15m")
            let minuteJSON = try #require(try JSONSerialization.jsonObject(with: Data(byMinute.utf8)) as? [String: Any])
            #expect(minuteJSON["energy_joules"] as? Double == 1800)
            #expect(minuteJSON["resolution_seconds"] as? Int == 60)
        }
    }

    @Test(
        "GET /energy: bad requests are 400s with a message; unknown 404; shared names 409",
        arguments: [
            ("/energy?vm=a&from=yesterday", 400), ("/energy?vm=a&from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", 400),
            ("/energy?vm=a&step=1s", 400), ("/energy?vm=a&step=0h", 400), ("/energy?vm=a&from=1990-01-01T00:00:00Z&step=1m", 400),
            ("/energy", 400), ("/energy?vm=nobody", 404), ("/energy?vm=twin", 409), ("/energy?vm=u-t2", 200),
        ]
    )
    func energyErrors(uri: String, expected: Int) async throws {
        try await Self.withLedger { ledger in
            let (status, body) = try await Self.get(ledger, uri)
            #expect(status.code == expected, "\(uri): \(body)")
            if expected != 200 { #expect(body.hasPrefix(#"{"error":""#), "\(body)") }
        }
    }

    @Test("GET /report by VM and by project, JSON and CSV: totals are the sum of the rows")
    func report() async throws {
        try await Self.withLedger { ledger in
            let period = "from=2026-12-01T00:00:00Z&to=2026-12-01T02:00:00Z"
            let (_, byVM) = try await Self.get(ledger, "/report?\(period)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(byVM.utf8)) as? [String: Any])
            let rows = try #require(json["rows"] as? [[String: Any]])
            #expect(rows.count == 3)
            let total = try #require(json["total"] as? [String: Any])
            #expect(total["energy_joules"] as? Double == 7320)
            let (_, byProject) = try await Self.get(ledger, "/report?\(period)&by=project")
            let projectRows = try #require((try JSONSerialization.jsonObject(with: Data(byProject.utf8)) as? [String: Any])?["rows"] as? [[String: Any]])
            // Project x (VM a), then the two VMs without Nova metadata in rows of their own.
            #expect(projectRows.count == 3)
            #expect(projectRows.first?["project_id"] as? String == "x")
            #expect(projectRows.first?["project_name"] as? String == "p-x")
            #expect(projectRows.first?["vm"] is NSNull)
            let (status, csv) = try await Self.get(ledger, "/report?\(period)&format=csv")
            #expect(status == .ok)
            let lines = csv.split(separator: "\r\n")
            // The full header is checked in LedgerPeriodRouteTests.
            #expect(lines.first.map(String.init) == ReportDocument.csvColumns.joined(separator: ","))
            #expect(lines.first?.hasPrefix("vm,uuid,project_id,project_name,vm_count,energy_joules,energy_kwh,") == true)
            #expect(lines.count == 4)
            #expect(lines.contains { $0.hasPrefix("a,u-a,x,p-x,1,7200.0,0.002,") })
            #expect(try await Self.get(ledger, "/report?by=host").status == .badRequest)
            #expect(try await Self.get(ledger, "/report?format=xml").status == .badRequest)
        }
    }

    @Test("/metrics: cinergy_ledger_healthy 1 while the ledger writes, with its last flush")
    func metrics() async throws {
        try await Self.withLedger { ledger in
            ledger.flushNow()
            let (_, body) = try await Self.get(ledger, "/metrics")
            #expect(body.contains("\ncinergy_ledger_healthy 1\n"), "\(body)")
            #expect(body.contains("\ncinergy_ledger_last_flush_timestamp_seconds "))
        }
        let off = Ledger(configuration: LedgerConfiguration(stateDirectory: nil), registry: VMRegistry(), logger: Logger(label: "test"))
        #expect(!(try await Self.get(off, "/metrics")).body.contains("cinergy_ledger_healthy"))
    }

    @Test("with the ledger off, /energy and /report are 503s that say so; /health says off")
    func off() async throws {
        let ledger = Ledger(configuration: LedgerConfiguration(stateDirectory: nil), registry: VMRegistry(), logger: Logger(label: "test"))
        let (status, body) = try await Self.get(ledger, "/report")
        #expect(status == .serviceUnavailable)
        #expect(body.contains("STATE_DIRECTORY=none"))
        let (_, health) = try await Self.get(ledger, "/health")
        #expect(health.contains(#""ledger":{"state":"off""#))
    }
}
