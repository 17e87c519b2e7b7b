import CinergyCore

/// The points as CSV: a header `host_load_percent,watts`, then one row per measurement (several
/// per load level allowed). Blank lines and lines starting with `#` are skipped.
public enum PointsCSV {
    public static let header = "host_load_percent,watts"

    /// Parses CSV text.
    /// - Throws: `CalibrationError.badCSV` naming the line and the value of the first bad row or header.
    public static func parse(_ text: String) throws(CalibrationError) -> [CalibrationPoint] {
        var points: [CalibrationPoint] = []
        var sawHeader = false
        for line in CSVLines.parse(text) {
            let number = line.number
            let trimmed = line.text
            let cells = line.fields
            if !sawHeader {
                let names = cells.map { $0.lowercased().trimmingCharacters(quote: "\"") }
                guard names == ["host_load_percent", "watts"] else {
                    throw .badCSV(line: number, value: String(trimmed), reason: "the header must be \(header)")
                }
                sawHeader = true
                continue
            }
            guard cells.count == 2 else {
                throw .badCSV(line: number, value: String(trimmed), reason: "expected 2 columns (\(header)), found \(cells.count)")
            }
            guard let load = Double(cells[0]), load.isFinite else {
                throw .badCSV(line: number, value: cells[0], reason: "host_load_percent is not a number")
            }
            guard (0...100).contains(load) else {
                throw .badCSV(line: number, value: cells[0], reason: "host_load_percent must be from 0 to 100")
            }
            guard let watts = Double(cells[1]), watts.isFinite else {
                throw .badCSV(line: number, value: cells[1], reason: "watts is not a number")
            }
            guard watts >= 0 else {
                throw .badCSV(line: number, value: cells[1], reason: "watts must not be negative")
            }
            points.append(CalibrationPoint(loadPercent: load, watts: watts))
        }
        guard sawHeader else { throw .badCSV(line: 1, value: "", reason: "no header row \(header)") }
        return points
    }

    /// The points as CSV text, loads and watts to 3 decimals.
    public static func render(_ points: [CalibrationPoint]) -> String {
        var text = header + "\n"
        for point in points {
            text += NumberFormat.fixed(point.loadPercent, 3) + "," + NumberFormat.fixed(point.watts, 3) + "\n"
        }
        return text
    }
}

extension StringProtocol {
    func trimmingCharacters(quote: Character) -> String {
        var text = Substring(self)
        if text.count >= 2, text.first == quote, text.last == quote { text = text.dropFirst().dropLast() }
        return String(text)
    }
}
