import CinergyCore
import Testing

@Suite("Shared text helpers: trimming and CSV lines")
struct TextHelpersTests {
    @Test(
        "trimmingWhitespace trims Unicode white space, zero-width spaces and byte-order marks at both ends only",
        arguments: [
            ("  value\t", "value"),
            ("\u{FEFF}start,gco2eq_per_kwh\r", "start,gco2eq_per_kwh"),
            ("\u{00A0}\u{200B}name\u{2003}\n", "name"),
            ("a b", "a b"),
            (" \t\r\n ", ""),
            ("", ""),
            ("x\u{200B}y", "x\u{200B}y"),
        ]
    )
    func trimming(input: String, expected: String) {
        #expect(input.trimmingWhitespace() == expected)
        #expect(input[...].trimmingWhitespace() == expected)
    }

    @Test("CSV lines: any line break, trimmed lines and fields, blank and # lines skipped, numbers kept")
    func csvLines() {
        let text = "\u{FEFF}start , gco2eq_per_kwh\r\n\n# a comment\r\n2026-01-01T00:00:00Z,  100 \n\n,,\r last"
        let lines = CSVLines.parse(text)
        #expect(
            lines == [
                CSVLines.Line(number: 1, text: "start , gco2eq_per_kwh", fields: ["start", "gco2eq_per_kwh"]),
                CSVLines.Line(number: 4, text: "2026-01-01T00:00:00Z,  100", fields: ["2026-01-01T00:00:00Z", "100"]),
                CSVLines.Line(number: 6, text: ",,", fields: ["", "", ""]),
                CSVLines.Line(number: 7, text: "last", fields: ["last"]),
            ]
        )
        #expect(CSVLines.parse("").isEmpty)
        #expect(CSVLines.parse("\n  \n#only\n").isEmpty)
    }
}
