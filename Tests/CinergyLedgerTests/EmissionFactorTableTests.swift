import CinergyCore
import CinergyLedger
import Testing

@Suite("Emission factor file")
struct EmissionFactorTableTests {
    @Test("rows apply from their start; before the first and past the last row's age, none")
    func lookup() {
        let text = """
            start,gco2eq_per_kwh
            2026-12-01T00:00:00Z,100
            2026-12-01T01:00:00Z,200
            # a comment
            2026-12-01T02:00:00+01:00,300
            """
        let (table, warnings) = EmissionFactorTable.parse(text, source: "f.csv")
        #expect(warnings.isEmpty)
        let midnight = RFC3339.parse("2026-12-01T00:00:00Z")!
        // 02:00+01:00 is 01:00Z: the same start as the second row, which it replaces.
        #expect(table.rows.map(\.gramsPerKilowattHour) == [100, 300])
        #expect(table.factor(atUnixSeconds: midnight - 1, lastRowMaxAgeSeconds: 3600) == nil)
        #expect(table.factor(atUnixSeconds: midnight, lastRowMaxAgeSeconds: 3600) == 100)
        #expect(table.factor(atUnixSeconds: midnight + 1800, lastRowMaxAgeSeconds: 3600) == 100)
        #expect(table.factor(atUnixSeconds: midnight + 3600 + 10, lastRowMaxAgeSeconds: 3600) == 300)
        #expect(table.factor(atUnixSeconds: midnight + 3 * 3600, lastRowMaxAgeSeconds: 3600) == nil)
    }

    @Test("a bad row is named in a warning and skipped; the rest is used")
    func badRows() {
        let text = "2026-12-01T00:00:00Z,100\nyesterday,50\n2026-12-01T01:00:00Z,-3\n2026-12-01T02:00:00Z\n2026-12-01T03:00:00Z,80\n"
        let (table, warnings) = EmissionFactorTable.parse(text, source: "f.csv")
        #expect(table.rows.map(\.gramsPerKilowattHour) == [100, 80])
        #expect(warnings.count == 3)
        #expect(warnings[0].hasPrefix("f.csv:2:"))
        #expect(warnings[1].hasPrefix("f.csv:3:"))
        #expect(warnings[2].hasPrefix("f.csv:4:"))
    }

    @Test(
        "RFC 3339 times",
        arguments: [
            ("2026-12-01T00:00:00Z", 1_796_083_200.0), ("2026-12-01T01:00:00+01:00", 1_796_083_200.0),
            ("2026-12-01t00:00:00.5z", 1_796_083_200.5), ("2026-12-01 00:00:00-00:30", 1_796_085_000.0),
        ]
    )
    func rfc3339(text: String, expected: Double) {
        #expect(RFC3339.parse(text) == expected)
    }

    @Test("not RFC 3339", arguments: ["", "2026-12-01", "2026-12-01T00:00:00", "2026-02-30T00:00:00Z", "2026-12-01T25:00:00Z", "x"])
    func notRFC3339(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
