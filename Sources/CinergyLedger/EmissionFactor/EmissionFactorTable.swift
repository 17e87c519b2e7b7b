public import CinergyCore

/// The rows of an emission factor file: from each `start` on, `gco2eq_per_kwh` is in force until
/// the next row's start (the last row until its maximum age).
public struct EmissionFactorTable: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// Unix seconds.
        public var startUnixSeconds: Double
        public var gramsPerKilowattHour: Double
        /// Whether the provider estimated the value (Electricity Maps' `isEstimated`); nil when the
        /// format does not say.
        public var isEstimated: Bool?

        public init(startUnixSeconds: Double, gramsPerKilowattHour: Double, isEstimated: Bool? = nil) {
            self.startUnixSeconds = startUnixSeconds
            self.gramsPerKilowattHour = gramsPerKilowattHour
            self.isEstimated = isEstimated
        }
    }

    /// Sorted by start; a start given twice keeps its last row.
    public private(set) var rows: [Row]
    /// Where the rows came from (the file's format, zone, signal); nil for a table built in code.
    public var provenance: GridIntensityProvenance?

    public init(rows: [Row]) {
        var byStart: [Double: Row] = [:]
        for row in rows { byStart[row.startUnixSeconds] = row }
        self.rows = byStart.values.sorted { $0.startUnixSeconds < $1.startUnixSeconds }
    }

    /// Parses CSV text of `start,gco2eq_per_kwh` rows (RFC 3339 starts; a header line, blank
    /// lines and `#` comments are allowed). A bad row is skipped and named in a warning
    /// (`source:LINE: …`); the rest is used.
    public static func parse(_ text: String, source: String) -> (table: EmissionFactorTable, warnings: [String]) {
        var rows: [Row] = []
        var warnings: [String] = []
        for line in CSVLines.parse(text) {
            let fields = line.fields
            if rows.isEmpty, warnings.isEmpty, fields.first?.lowercased() == "start" { continue }
            guard fields.count == 2 else {
                warnings.append("\(source):\(line.number): expected `start,gco2eq_per_kwh`, found \(fields.count) field(s); row skipped")
                continue
            }
            guard let start = RFC3339.parse(fields[0]) else {
                warnings.append("\(source):\(line.number): `\(fields[0])` is not an RFC 3339 time; row skipped")
                continue
            }
            guard fields[1].allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
                let factor = Double(fields[1]), factor.isFinite, factor >= 0
            else {
                warnings.append("\(source):\(line.number): `\(fields[1])` is not a factor of at least 0 gCO2eq/kWh; row skipped")
                continue
            }
            rows.append(Row(startUnixSeconds: start, gramsPerKilowattHour: factor))
        }
        var table = EmissionFactorTable(rows: rows)
        table.provenance = GridIntensityProvenance(provider: .csv, points: table.rows.count)
        return (table, warnings)
    }

    /// The factor in force at `unixSeconds`: the last row starting at or before it, unless that is
    /// the last row and it started more than `lastRowMaxAgeSeconds` earlier; nil where none is.
    public func factor(atUnixSeconds unixSeconds: Double, lastRowMaxAgeSeconds: Double) -> Double? {
        row(atUnixSeconds: unixSeconds, lastRowMaxAgeSeconds: lastRowMaxAgeSeconds)?.gramsPerKilowattHour
    }

    /// The row in force at `unixSeconds` (as ``factor(atUnixSeconds:lastRowMaxAgeSeconds:)``).
    public func row(atUnixSeconds unixSeconds: Double, lastRowMaxAgeSeconds: Double) -> Row? {
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].startUnixSeconds <= unixSeconds { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let row = rows[low - 1]
        if low == rows.count, unixSeconds - row.startUnixSeconds > lastRowMaxAgeSeconds { return nil }
        return row
    }
}
