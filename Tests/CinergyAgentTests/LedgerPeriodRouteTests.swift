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

/// Exact periods, the new fields and the model versions of `/energy` and `/report`, through the
/// router, on a real ledger database filled through the store's write path.
@Suite("HTTP API: exact periods and provenance of the ledger's reports", .serialized)
struct LedgerPeriodRouteTests {
    static let configuration = AgentConfiguration(
        coefficients: [1], cinergyRatio: 1, serverCores: 1, pue: 1, emissionFactorGramsPerKilowattHour: 100
    )
    /// 2026-12-01T19:00:00Z.
    static let t0 = 1_796_083_200.0 + 19 * 3600
    /// 2026-12-01T10:00:00Z: an hour whose first half of minute buckets is pruned.
    static let oldHour = 1_796_083_200.0 + 10 * 3600
    static let versionA = "A=1\nB=2"
    static let versionB = "A=1\nB=3"

    static func identity(_ name: String, _ uuid: String) -> VMIdentity {
        VMIdentity(name: name, uuid: uuid, process: nil, vcpus: 1, source: .libvirt, nova: NovaInstance(projectID: "p", projectName: "proj"))
    }

    /// The embodied carbon "steady" accrues, g/s (7.2 g per VM-hour).
    static let embodiedGramsPerSecond = 0.002
    /// The power the host meter attributes to "steady", W (beside its isolated 1.25 W).
    static let attributedWatts = 1.5

    /// "steady": 1.25 W (0.5 static, 0.75 dynamic, 10 % of a CPU), 1.5 W attributed by the host
    /// meter and 0.002 g/s of embodied carbon from t0 + 4.5 s to t0 + 79.5 s, one sample a second, each spread over its own
    /// interval and flushed on its own, under version A for the first 40 samples and B after.
    /// "old": 1 W through `oldHour`, without embodied carbon or a meter (not accounted), whose first 30
    /// minute buckets are then pruned.
    static func withLedger(_ body: (Ledger) async throws -> Void) async throws {
        let path = NSTemporaryDirectory() + "cinergy-ledger-periods-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ledger = Ledger(
            configuration: LedgerConfiguration(stateDirectory: FilePath(path)), registry: VMRegistry(accounting: configuration.accounting),
            logger: Logger(label: "test")
        )
        await ledger.open()
        let store = try #require(ledger.store)
        var old: [Int64: BucketAmount] = [:]
        for minute in 0..<60 {
            old[Int64(oldHour) + Int64(minute * 60)] = BucketAmount(
                energyJoules: 60, staticJoules: 60, dynamicJoules: 0, carbonGrams: 60 * 100 / 3.6e6, runningSeconds: 60, cpuSeconds: 0
            )
        }
        try store.write(
            LedgerBatch(entries: [
                "u-old": LedgerBatch.Entry(
                    identity: identity("old", "u-old"), firstSeenUnixSeconds: oldHour, lastSeenUnixSeconds: oldHour + 3600, minutes: old,
                    modelParameters: versionA
                )
            ])
        )
        for sample in 1...75 {
            let end = t0 + 4.5 + Double(sample)
            var minutes: [Int64: BucketAmount] = [:]
            var from = end - 1
            while from < end {
                let minute = (from / 60).rounded(.down) * 60
                let to = min(end, minute + 60)
                let seconds = to - from
                minutes[Int64(minute), default: BucketAmount()] += BucketAmount(
                    energyJoules: 1.25 * seconds, staticJoules: 0.5 * seconds, dynamicJoules: 0.75 * seconds,
                    carbonGrams: 1.25 * seconds * 100 / 3.6e6, runningSeconds: seconds, cpuSeconds: 0.1 * seconds,
                    embodiedGrams: Self.embodiedGramsPerSecond * seconds, attributedJoules: Self.attributedWatts * seconds,
                    attributedSeconds: seconds
                )
                from = to
            }
            try store.write(
                LedgerBatch(entries: [
                    "u-steady": LedgerBatch.Entry(
                        identity: identity("steady", "u-steady"), firstSeenUnixSeconds: end - 1, lastSeenUnixSeconds: end,
                        minutes: minutes, modelParameters: sample <= 40 ? versionA : versionB
                    )
                ])
            )
        }
        // The old hour's first half is pruned; everything from its half on is kept.
        try store.write(LedgerBatch(), pruneMinutesBefore: Int64(oldHour) + 1800)
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

    static func json(_ body: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
    }

    static func row(_ report: [String: Any], _ vm: String) throws -> [String: Any] {
        let rows = try #require(report["rows"] as? [[String: Any]])
        return try #require(rows.first { $0["vm"] as? String == vm }, "\(rows)")
    }

    @Test("1.25 W for 75 s: 20 s asked in the middle are 25 J, in /report and /energy, with the period echoed as asked")
    func twentySecondsInTheMiddle() async throws {
        try await Self.withLedger { ledger in
            for (from, to) in [("19:00:34", "19:00:54"), ("19:00:50", "19:01:10"), ("19:00:10.5", "19:00:30.5")] {
                let period = "from=2026-12-01T\(from)Z&to=2026-12-01T\(to)Z"
                let (status, body) = try await Self.get(ledger, "/report?\(period)")
                #expect(status == .ok, "\(body)")
                let report = try Self.json(body)
                #expect(report["from"] as? String == "2026-12-01T\(from.count == 8 ? from + ".000" : from + "00")Z")
                #expect(report["requested_from"] as? String == report["from"] as? String)
                #expect(report["requested_to"] as? String == report["to"] as? String)
                #expect(report["resolution_seconds"] as? Int == 60)
                let steady = try Self.row(report, "steady")
                let joules = try #require(steady["energy_joules"] as? Double)
                print("ledger period \(from)–\(to): \(joules) J (25 J expected, ± 1.25 J: one sample)")
                #expect(abs(joules - 25) <= 1.25, "\(period): \(joules) J")
                #expect(abs((steady["static_joules"] as? Double ?? 0) - joules * 0.4) < 1e-9)
                #expect(abs((steady["dynamic_joules"] as? Double ?? 0) - joules * 0.6) < 1e-9)
                #expect(steady["unsplit_joules"] as? Double == 0)
                #expect(steady["reconstructed_joules"] as? Double == 0)
                #expect(abs((steady["running_seconds"] as? Double ?? 0) - joules / 1.25) < 1e-9)
                #expect(abs((steady["cpu_seconds"] as? Double ?? 0) - joules / 12.5) < 1e-9)
                #expect(abs((steady["mean_power_watts"] as? Double ?? 0) - 1.25) < 1e-9)
                // /energy: the same sum, by minute and by hour.
                for step in ["1m", "1h"] {
                    let (_, energyBody) = try await Self.get(ledger, "/energy?vm=steady&\(period)&step=\(step)")
                    let energy = try Self.json(energyBody)
                    #expect(abs((energy["energy_joules"] as? Double ?? 0) - joules) < 1e-9, "\(energyBody)")
                    let series = try #require(energy["series"] as? [[String: Any]])
                    #expect(series.first?["start"] as? String == report["from"] as? String)
                    #expect(series.last?["end"] as? String == report["to"] as? String)
                    let summed = series.reduce(0) { $0 + ($1["energy_joules"] as? Double ?? 0) }
                    #expect(abs(summed - joules) < 1e-9)
                }
            }
            // The whole life, from before it to after it: every joule once.
            let (_, whole) = try await Self.get(ledger, "/report?from=2026-12-01T18:59:00Z&to=2026-12-01T19:05:00Z")
            #expect(abs((try Self.row(try Self.json(whole), "steady")["energy_joules"] as? Double ?? 0) - 93.75) < 1e-9)
        }
    }

    @Test("an edge in an hour whose minute buckets are gone widens to the hour, and says so")
    func hourResolution() async throws {
        try await Self.withLedger { ledger in
            let (status, body) = try await Self.get(ledger, "/report?from=2026-12-01T10:10:00Z&to=2026-12-01T19:00:54Z")
            #expect(status == .ok)
            let report = try Self.json(body)
            #expect(report["from"] as? String == "2026-12-01T10:00:00.000Z")
            #expect(report["requested_from"] as? String == "2026-12-01T10:10:00.000Z")
            #expect(report["to"] as? String == "2026-12-01T19:00:54.000Z")
            #expect(report["requested_to"] as? String == "2026-12-01T19:00:54.000Z")
            #expect(report["resolution_seconds"] as? Int == 3600)
            #expect(try Self.row(report, "old")["energy_joules"] as? Double == 3600)
            // A whole-hour step widens the same way; a step of minutes there is a 400 naming the retention.
            let (_, hourly) = try await Self.get(ledger, "/energy?vm=old&from=2026-12-01T10:10:00Z&to=2026-12-01T10:50:00Z&step=1h")
            let energy = try Self.json(hourly)
            #expect(energy["from"] as? String == "2026-12-01T10:00:00.000Z")
            #expect(energy["to"] as? String == "2026-12-01T11:00:00.000Z")
            #expect(energy["requested_to"] as? String == "2026-12-01T10:50:00.000Z")
            #expect(energy["energy_joules"] as? Double == 3600)
            let (refused, message) = try await Self.get(ledger, "/energy?vm=old&from=2026-12-01T10:10:00Z&to=2026-12-01T10:50:00Z&step=15m")
            #expect(refused == .badRequest)
            #expect(message.contains("LEDGER_MINUTE_RETENTION_HOURS=48"), "\(message)")
            #expect(message.contains("2026-12-01T11:00:00.000Z"), "\(message)")
            // From the kept hours on, minutes serve.
            #expect(try await Self.get(ledger, "/energy?vm=steady&from=2026-12-01T19:00:00Z&to=2026-12-01T19:02:00Z&step=1m").status == .ok)
        }
    }

    @Test("the model versions used are listed with their parameters; each row names its own")
    func modelVersions() async throws {
        try await Self.withLedger { ledger in
            let (_, body) = try await Self.get(ledger, "/report?from=2026-12-01T19:00:00Z&to=2026-12-01T19:02:00Z")
            let report = try Self.json(body)
            let versions = try #require(report["model_versions"] as? [[String: Any]])
            #expect(versions.count == 2)
            #expect(versions.map { $0["parameters"] as? [String: String] } == [["A": "1", "B": "2"], ["A": "1", "B": "3"]])
            #expect(versions.allSatisfy { $0["first_used"] is String && $0["last_used"] is String })
            let ids = versions.compactMap { $0["id"] as? Int }
            #expect(try Self.row(report, "steady")["model_version_ids"] as? [Int] == ids)
            // Version B took over at 19:00:44.5: the minute after has only B.
            let (_, energy) = try await Self.get(ledger, "/energy?vm=steady&from=2026-12-01T19:00:00Z&to=2026-12-01T19:02:00Z&step=1m")
            let series = try #require(try Self.json(energy)["series"] as? [[String: Any]])
            #expect(series.map { $0["model_version_ids"] as? [Int] } == [ids, [ids[1]]])
        }
    }

    @Test("CSV: /report's and /energy's columns, with the period summed and the model versions' parameters")
    func csv() async throws {
        try await Self.withLedger { ledger in
            let (status, text) = try await Self.get(ledger, "/report?from=2026-12-01T19:00:34Z&to=2026-12-01T19:00:54Z&format=csv")
            #expect(status == .ok)
            let lines = text.split(separator: "\r\n").map(String.init)
            #expect(
                lines.first
                    == "vm,uuid,project_id,project_name,vm_count,energy_joules,energy_kwh,static_joules,dynamic_joules,unsplit_joules,reconstructed_joules,attributed_joules,attributed_seconds,carbon_grams,operational_carbon_grams,embodied_carbon_grams,total_carbon_grams,sci_grams_per_vm_hour,running_seconds,hours_running,cpu_seconds,mean_power_watts,from,to,model_versions"
            )
            let steady = try #require(lines.first { $0.hasPrefix("steady,u-steady,p,proj,1,") })
            let (_, json) = try await Self.get(ledger, "/report?from=2026-12-01T19:00:34Z&to=2026-12-01T19:00:54Z")
            let ids = try #require(try Self.row(try Self.json(json), "steady")["model_version_ids"] as? [Int])
            #expect(ids.count == 2)
            #expect(
                steady.hasSuffix(",2026-12-01T19:00:34.000Z,2026-12-01T19:00:54.000Z,\(ids[0]): A=1; B=2 | \(ids[1]): A=1; B=3"), "\(steady)"
            )
            let (_, energy) = try await Self.get(ledger, "/energy?vm=steady&from=2026-12-01T19:00:34Z&to=2026-12-01T19:01:30Z&step=1m&format=csv")
            let energyLines = energy.split(separator: "\r\n").map(String.init)
            #expect(
                energyLines.first
                    == "vm,uuid,start,end,energy_joules,energy_kwh,static_joules,dynamic_joules,unsplit_joules,reconstructed_joules,attributed_joules,attributed_seconds,carbon_grams,operational_carbon_grams,embodied_carbon_grams,total_carbon_grams,sci_grams_per_vm_hour,running_seconds,hours_running,cpu_seconds,mean_power_watts,model_versions"
            )
            #expect(energyLines.count == 3)
            #expect(energyLines[1].hasPrefix("steady,u-steady,2026-12-01T19:00:34.000Z,2026-12-01T19:01:00.000Z,"))
            #expect(try await Self.get(ledger, "/energy?vm=steady&format=xml").status == .badRequest)
        }
    }

    @Test("operational, embodied and total grams and the SCI per VM-hour, per VM and per project; null where embodied was not accounted")
    func embodiedAndSCI() async throws {
        try await Self.withLedger { ledger in
            let (_, body) = try await Self.get(ledger, "/report?from=2026-12-01T19:00:34Z&to=2026-12-01T19:00:54Z")
            let steady = try Self.row(try Self.json(body), "steady")
            let seconds = try #require(steady["running_seconds"] as? Double)
            let operational = try #require(steady["operational_carbon_grams"] as? Double)
            #expect(operational == steady["carbon_grams"] as? Double)
            let embodied = try #require(steady["embodied_carbon_grams"] as? Double)
            #expect(abs(embodied - Self.embodiedGramsPerSecond * seconds) < 1e-12)
            let total = try #require(steady["total_carbon_grams"] as? Double)
            #expect(abs(total - (operational + embodied)) < 1e-12)
            // 1.25 W at 100 g/kWh is 0.125 g per VM-hour, plus 7.2 g embodied.
            let sci = try #require(steady["sci_grams_per_vm_hour"] as? Double)
            #expect(abs(sci - total / (seconds / 3600)) < 1e-9)
            #expect(abs(sci - 7.325) < 1e-9)
            // "old" was written without embodied emissions: null, and so are its total and SCI, and
            // a project's or the report's sum that includes it; its operational grams stay.
            let (_, both) = try await Self.get(ledger, "/report?from=2026-12-01T10:00:00Z&to=2026-12-01T20:00:00Z&by=project")
            let report = try Self.json(both)
            let project = try #require((report["rows"] as? [[String: Any]])?.first)
            #expect(project["vm_count"] as? Int == 2)
            // The operational grams of the two VMs' own rows over the same period, summed.
            let (_, byVM) = try await Self.get(ledger, "/report?from=2026-12-01T10:00:00Z&to=2026-12-01T20:00:00Z")
            let vmGrams = try ["old", "steady"].map { try #require(try Self.row(try Self.json(byVM), $0)["operational_carbon_grams"] as? Double) }
            #expect(vmGrams.allSatisfy { $0 > 0 })
            for amount in [project, try #require(report["total"] as? [String: Any])] {
                #expect(amount["embodied_carbon_grams"] is NSNull)
                #expect(amount["total_carbon_grams"] is NSNull)
                #expect(amount["sci_grams_per_vm_hour"] is NSNull)
                let grams = try #require(amount["operational_carbon_grams"] as? Double)
                #expect(abs(grams - vmGrams.reduce(0, +)) < 1e-9, "\(grams) g, the VMs' \(vmGrams) g")
            }
            // Steady alone in its project's period: the project's figures are its own.
            let (_, alone) = try await Self.get(ledger, "/report?from=2026-12-01T19:00:00Z&to=2026-12-01T19:02:00Z&by=project")
            let projectAlone = try #require((try Self.json(alone)["rows"] as? [[String: Any]])?.first)
            #expect(abs((projectAlone["embodied_carbon_grams"] as? Double ?? 0) - 75 * Self.embodiedGramsPerSecond) < 1e-12)
            #expect(abs((projectAlone["sci_grams_per_vm_hour"] as? Double ?? 0) - 7.325) < 1e-9)
            // /energy: each point and the totals.
            let (_, energyBody) = try await Self.get(ledger, "/energy?vm=steady&from=2026-12-01T19:00:00Z&to=2026-12-01T19:02:00Z&step=1m")
            let energy = try Self.json(energyBody)
            #expect(abs((energy["embodied_carbon_grams"] as? Double ?? 0) - 0.15) < 1e-12)
            let series = try #require(energy["series"] as? [[String: Any]])
            #expect(series.map { $0["embodied_carbon_grams"] as? Double != nil } == [true, true])
            let (_, oldEnergy) = try await Self.get(ledger, "/energy?vm=old&from=2026-12-01T10:00:00Z&to=2026-12-01T11:00:00Z")
            #expect(try Self.json(oldEnergy)["sci_grams_per_vm_hour"] is NSNull)
        }
    }

    @Test("the host meter's attributed joules beside the isolated ones, in /report, /energy and CSV; null where no meter measured")
    func attributedBesideIsolated() async throws {
        try await Self.withLedger { ledger in
            let (_, body) = try await Self.get(ledger, "/report?from=2026-12-01T19:00:34Z&to=2026-12-01T19:00:54Z")
            let steady = try Self.row(try Self.json(body), "steady")
            let joules = try #require(steady["energy_joules"] as? Double)
            let attributed = try #require(steady["attributed_joules"] as? Double)
            // Spread and prorated as the isolated energy: 1.5 W beside 1.25 W.
            #expect(abs(attributed - joules * Self.attributedWatts / 1.25) < 1e-9, "\(attributed) J beside \(joules) J")
            #expect(abs((steady["attributed_seconds"] as? Double ?? 0) - 20) < 1e-9, "\(steady)")
            // "old" had no meter: null, with 0 s; a project's and the report's sums are steady's
            // 112.5 J over its 75 s, beside the hour + 75 s they ran (old's hour bucket is kept whole).
            let (_, both) = try await Self.get(ledger, "/report?from=2026-12-01T10:00:00Z&to=2026-12-01T20:00:00Z&by=project")
            let report = try Self.json(both)
            for amount in [(report["rows"] as? [[String: Any]])?.first, report["total"] as? [String: Any]] {
                let amount = try #require(amount)
                #expect(abs((amount["attributed_joules"] as? Double ?? 0) - 75 * 1.5) < 1e-9, "\(amount)")
                #expect(abs((amount["attributed_seconds"] as? Double ?? 0) - 75) < 1e-9, "\(amount)")
                #expect(abs((amount["running_seconds"] as? Double ?? 0) - (3600 + 75)) < 1e-9, "\(amount)")
            }
            let (_, byVM) = try await Self.get(ledger, "/report?from=2026-12-01T10:00:00Z&to=2026-12-01T20:00:00Z")
            #expect(try Self.row(try Self.json(byVM), "old")["attributed_joules"] is NSNull)
            #expect(try Self.row(try Self.json(byVM), "old")["attributed_seconds"] as? Double == 0)
            #expect(abs((try Self.row(try Self.json(byVM), "steady")["attributed_joules"] as? Double ?? 0) - 75 * 1.5) < 1e-9)
            // /energy: the total and each point.
            let (_, energyBody) = try await Self.get(ledger, "/energy?vm=steady&from=2026-12-01T19:00:00Z&to=2026-12-01T19:02:00Z&step=1m")
            let energy = try Self.json(energyBody)
            #expect(abs((energy["attributed_joules"] as? Double ?? 0) - 75 * 1.5) < 1e-9, "\(energyBody)")
            let series = try #require(energy["series"] as? [[String: Any]])
            #expect(series.map { ($0["attributed_joules"] as? Double ?? -1) > 0 } == [true, true])
            #expect(abs(series.map { $0["attributed_joules"] as? Double ?? 0 }.reduce(0, +) - 75 * 1.5) < 1e-9, "\(energyBody)")
            let (_, oldEnergy) = try await Self.get(ledger, "/energy?vm=old&from=2026-12-01T10:00:00Z&to=2026-12-01T11:00:00Z")
            #expect(try Self.json(oldEnergy)["attributed_joules"] is NSNull)
            // CSV: the column after reconstructed_joules, empty where null.
            let (_, csv) = try await Self.get(ledger, "/report?from=2026-12-01T10:00:00Z&to=2026-12-01T20:00:00Z&format=csv")
            let lines = csv.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let column = try #require(lines.first?.firstIndex(of: "attributed_joules"))
            #expect(lines.first?[column - 1] == "reconstructed_joules")
            #expect(lines.first { $0.first == "old" }?[column] == "")
            #expect(Double(lines.first { $0.first == "steady" }?[column] ?? "").map { abs($0 - 75 * 1.5) < 1e-6 } == true)
        }
    }

    @Test("cinergy report's document is GET /report's, read from the file read-only")
    func offlineReportIsTheSame() async throws {
        try await Self.withLedger { ledger in
            let directory = try #require(ledger.configuration.stateDirectory)
            for (query, by, format) in [("by=vm", ReportGrouping.vm, ReportFormat.json), ("by=project&format=csv", .project, .csv)] {
                let (_, served) = try await Self.get(ledger, "/report?from=2026-12-01T10:10:00Z&to=2026-12-01T19:00:54Z&\(query)")
                let printed = try OfflineReport.text(
                    stateDirectory: directory.string, from: "2026-12-01T10:10:00Z", to: "2026-12-01T19:00:54Z", by: by, format: format
                )
                // The route's JSON body ends in a newline, as the command's output does.
                #expect((format == .json ? printed + "\n" : printed) == served)
            }
            #expect(throws: OfflineReport.Failure.self) {
                try OfflineReport.text(stateDirectory: directory.string + "/missing", from: nil, to: nil, by: .vm, format: .json)
            }
        }
    }
}
