import CinergyCore
import CinergyLedger
import Foundation
import SystemPackage
import Testing

/// `EMISSION_FACTOR_FILE` as Electricity Maps and WattTime publish grid intensity (issue 19):
/// recognised by content, converted to gCO2eq/kWh, with its provenance; anything else is a
/// warning and the table in force stays.
@Suite("Grid intensity files from providers")
struct GridIntensityFileTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/grid-intensity").standardized.path

    static func fixture(_ name: String) throws -> String {
        try String(contentsOfFile: "\(fixtures)/\(name)", encoding: .utf8)
    }

    static func table(_ reading: EmissionFactorTable.Reading) -> (EmissionFactorTable, [String])? {
        if case .table(let table, let warnings) = reading { return (table, warnings) }
        return nil
    }

    @Test("Electricity Maps' carbon-intensity history: hourly points in gCO2eq/kWh, a null point skipped, zone, factor type and estimates kept")
    func electricityMaps() throws {
        let reading = EmissionFactorTable.read(try Self.fixture("electricity-maps-history.json"), source: "em.json")
        let (table, warnings) = try #require(Self.table(reading), "\(reading)")
        #expect(table.rows.map(\.gramsPerKilowattHour) == [302, 287.5, 310])
        #expect(table.rows.map(\.isEstimated) == [false, false, true])
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("em.json: history[2] (2026-12-01T02:00:00.000Z)") == true, "\(warnings)")
        #expect(
            table.provenance
                == GridIntensityProvenance(provider: .electricityMaps, zone: "DE", signal: "lifecycle", estimatedPoints: 1, points: 3)
        )
        let midnight = try #require(RFC3339.parse("2026-12-01T00:00:00Z"))
        // The null hour: the hour before stays in force until the next point.
        #expect(table.factor(atUnixSeconds: midnight + 2.5 * 3600, lastRowMaxAgeSeconds: 3600) == 287.5)
        #expect(table.row(atUnixSeconds: midnight + 3.5 * 3600, lastRowMaxAgeSeconds: 3600)?.isEstimated == true)
    }

    @Test("WattTime's historical data: lbs CO2/MWh x 0.45359237 = gCO2eq/kWh, region and signal kept")
    func wattTime() throws {
        let reading = EmissionFactorTable.read(try Self.fixture("watttime-historical.json"), source: "wt.json")
        let (table, warnings) = try #require(Self.table(reading), "\(reading)")
        #expect(warnings.isEmpty)
        #expect(table.rows.map(\.gramsPerKilowattHour) == [1000 * 0.45359237, 500 * 0.45359237, 880.5 * 0.45359237])
        #expect(table.rows.map(\.isEstimated) == [nil, nil, nil])
        #expect(table.provenance == GridIntensityProvenance(provider: .wattTime, zone: "CAISO_NORTH", signal: "co2_moer", points: 3))
        #expect(
            table.provenance?.parameters.map { "\($0.name)=\($0.value)" }
                == ["EMISSION_FACTOR_FILE_POINTS=3", "EMISSION_FACTOR_FILE_PROVIDER=watttime", "EMISSION_FACTOR_FILE_SIGNAL=co2_moer", "EMISSION_FACTOR_FILE_ZONE=CAISO_NORTH"]
        )
    }

    @Test("the CSV is still read, with its provenance")
    func csv() throws {
        let (table, _) = try #require(Self.table(EmissionFactorTable.read("start,gco2eq_per_kwh\n2026-12-01T00:00:00Z,100\n", source: "f.csv")))
        #expect(table.rows.map(\.gramsPerKilowattHour) == [100])
        #expect(table.provenance == GridIntensityProvenance(provider: .csv, points: 1))
    }

    @Test(
        "neither format: the reason names the file",
        arguments: [
            "{\"zone\": \"DE\", \"carbonIntensity\": 300}",  // Electricity Maps' latest, not its history
            "{\"data\": [], \"meta\": {\"region\": \"X\", \"signal_type\": \"health_damage\", \"units\": \"usd_per_mwh\"}}",
            "{\"data\": [{\"point_time\": \"2026-12-01T00:00:00Z\", \"value\": 1}], \"meta\": {\"region\": \"X\", \"signal_type\": \"co2_moer\", \"units\": \"kg_co2_per_mwh\"}}",
            "{\"history\": [{\"datetime\": \"yesterday\", \"carbonIntensity\": 1}]}",
            "{\"history\": [",
            "<html>rate limited</html>",
            "time,value\nmidnight,lots\n",
        ]
    )
    func unrecognised(text: String) {
        let reading = EmissionFactorTable.read(text, source: "/srv/grid.json")
        guard case .unrecognised(let reason) = reading else {
            Issue.record("read as \(reading)")
            return
        }
        #expect(reason.hasPrefix("/srv/grid.json"), "\(reason)")
    }

    @Test("the file: a provider's JSON replaces the table; a file of neither format is a warning naming it, and the last good table stays")
    func fileKeepsLastGoodTable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-grid-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/grid.json"
        try Self.fixture("electricity-maps-history.json").write(toFile: path, atomically: true, encoding: .utf8)
        let file = EmissionFactorFile(path: FilePath(path), lastRowMaxAgeSeconds: 3600)
        #expect(file.reload().count == 1)  // the null point
        let midnight = try #require(RFC3339.parse("2026-12-01T00:00:00Z"))
        #expect(file.gramsPerKilowattHour(atUnixSeconds: midnight + 60) == 302)
        #expect(file.provenance?.provider == .electricityMaps)
        #expect(file.isEstimated(atUnixSeconds: midnight + 60) == false)

        try "{\"error\": \"rate limited\"}".write(toFile: path, atomically: true, encoding: .utf8)
        let warnings = file.reload()
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains(path) == true, "\(warnings)")
        #expect(file.gramsPerKilowattHour(atUnixSeconds: midnight + 60) == 302, "the last good table stays")
        #expect(file.reload().isEmpty, "the same file is not reported twice")

        try Self.fixture("watttime-historical.json").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(file.reload().isEmpty)
        #expect(file.gramsPerKilowattHour(atUnixSeconds: midnight + 360) == 500 * 0.45359237)
        #expect(file.provenance?.zone == "CAISO_NORTH")
    }
}
