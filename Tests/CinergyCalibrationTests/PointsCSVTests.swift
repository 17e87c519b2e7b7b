import CinergyCalibration
import Testing

@Suite("Points CSV")
struct PointsCSVTests {
    @Test("rows after the header; blank lines, comments, CRLF and spaces are fine")
    func good() throws {
        let text = "\u{FEFF}# from a PDU log\r\nhost_load_percent, watts\r\n0,41.5\r\n\r\n 10 , 50\n10,50.4\n# done\n100,120.25\n"
        let points = try PointsCSV.parse(text)
        #expect(points == [
            CalibrationPoint(loadPercent: 0, watts: 41.5), CalibrationPoint(loadPercent: 10, watts: 50),
            CalibrationPoint(loadPercent: 10, watts: 50.4), CalibrationPoint(loadPercent: 100, watts: 120.25),
        ])
        #expect(try PointsCSV.parse(PointsCSV.render(points)) == points)
        #expect(PointsCSV.render(points).hasPrefix("host_load_percent,watts\n0.000,41.500\n"))
    }

    @Test(
        "a bad row is an error naming its line and value",
        arguments: [
            ("load,watts\n0,1\n", 1, "load,watts"),
            ("host_load_percent,watts\n0,40\n10,50\n20,abc\n", 4, "abc"),
            ("host_load_percent,watts\n0,40\n120,50\n", 3, "120"),
            ("host_load_percent,watts\n\n0,40,7\n", 3, "0,40,7"),
            ("host_load_percent,watts\n0,-3\n", 2, "-3"),
            ("host_load_percent,watts\nnan,3\n", 2, "nan"),
            ("# nothing\n", 1, ""),
        ]
    )
    func bad(text: String, line: Int, value: String) {
        #expect {
            try PointsCSV.parse(text)
        } throws: { error in
            guard case .badCSV(let badLine, let badValue, _) = error as? CalibrationError else { return false }
            return badLine == line && badValue == value
                && (error as? CalibrationError)?.description.hasPrefix("line \(line): \"\(value)\"") == true
        }
    }
}
