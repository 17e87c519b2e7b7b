import CinergyCore

/// The factor file's formats, recognised by content: the operator's CSV, Electricity Maps'
/// carbon-intensity history and WattTime's historical data (the JSON their APIs return, saved by
/// a job beside the agent: the agent itself has no network).
extension EmissionFactorTable {
    /// What a file's text was read as.
    public enum Reading: Sendable, Equatable {
        /// A table, with a warning for each point that was skipped.
        case table(EmissionFactorTable, warnings: [String])
        /// Neither format: why. The table in force stays.
        case unrecognised(String)
    }

    /// WattTime's `lbs_co2_per_mwh` in gCO2eq/kWh: 453.59237 g per lb over 1,000 kWh per MWh.
    public static let gramsPerKilowattHourPerPoundPerMegawattHour = 0.45359237

    /// Reads `text` as whichever format it is: JSON (first non-blank character `{`) as Electricity
    /// Maps' or WattTime's response, anything else as the CSV. `source` names the file in messages.
    public static func read(_ text: String, source: String) -> Reading {
        let firstCharacter = text.first { !($0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\u{FEFF}") }
        guard firstCharacter == "{" else {
            let (table, warnings) = parse(text, source: source)
            // Rows, none of them good: not a factor file (an empty one, header or comments only, is).
            if table.rows.isEmpty, !warnings.isEmpty {
                return .unrecognised(
                    "\(source): neither a CSV of start,gco2eq_per_kwh rows (no good row; first problem: \(warnings[0])) nor Electricity Maps' or WattTime's JSON"
                )
            }
            return .table(table, warnings: warnings)
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(String(text.drop { $0 == "\u{FEFF}" }))
        } catch {
            return .unrecognised("\(source): \(error); neither Electricity Maps' nor WattTime's JSON")
        }
        if json["history"]?.arrayValue != nil {
            return electricityMaps(json, source: source)
        }
        if json["data"]?.arrayValue != nil, json["meta"]?["region"] != nil || json["meta"]?["signal_type"] != nil {
            return wattTime(json, source: source)
        }
        return .unrecognised(
            "\(source): JSON, but neither Electricity Maps' carbon-intensity history (`history`) nor WattTime's historical data (`data` and `meta`)"
        )
    }

    /// Electricity Maps (API v3) carbon-intensity history: `{"zone", "history": [{"datetime"
    /// (the hour's start), "carbonIntensity" (gCO2eq/kWh), "isEstimated", "emissionFactorType"}]}`.
    static func electricityMaps(_ json: JSONValue, source: String) -> Reading {
        var rows: [Row] = []
        var warnings: [String] = []
        var types = Set<String>()
        var estimated = 0
        for (index, point) in (json["history"]?.arrayValue ?? []).enumerated() {
            let at = "\(source): history[\(index)]"
            guard let datetime = point["datetime"]?.stringValue, let start = RFC3339.parse(datetime) else {
                warnings.append("\(at): no RFC 3339 `datetime`; point skipped")
                continue
            }
            guard let intensity = point["carbonIntensity"]?.numberValue, intensity >= 0 else {
                warnings.append("\(at) (\(datetime)): `carbonIntensity` is not a number of at least 0 (null: no data); point skipped")
                continue
            }
            let isEstimated = point["isEstimated"]?.boolValue
            if isEstimated == true { estimated += 1 }
            if let type = point["emissionFactorType"]?.stringValue { types.insert(type) }
            rows.append(Row(startUnixSeconds: start, gramsPerKilowattHour: intensity, isEstimated: isEstimated))
        }
        if rows.isEmpty {
            return .unrecognised("\(source): Electricity Maps' carbon-intensity history without a usable point\(warnings.first.map { " (\($0))" } ?? "")")
        }
        var table = EmissionFactorTable(rows: rows)
        table.provenance = GridIntensityProvenance(
            provider: .electricityMaps,
            zone: json["zone"]?.stringValue ?? json["history"]?.arrayValue?.first?["zone"]?.stringValue,
            signal: types.count > 1 ? "mixed" : types.first,
            estimatedPoints: estimated,
            points: table.rows.count
        )
        return .table(table, warnings: warnings)
    }

    /// WattTime (API v3) historical data: `{"data": [{"point_time", "value"}], "meta": {"region",
    /// "signal_type" (co2_moer or co2_aoer), "units" (lbs_co2_per_mwh)}}`.
    static func wattTime(_ json: JSONValue, source: String) -> Reading {
        let meta = json["meta"]
        let signal = meta?["signal_type"]?.stringValue
        guard signal == "co2_moer" || signal == "co2_aoer" else {
            return .unrecognised("\(source): WattTime data of signal `\(signal ?? "none")`, not a carbon intensity (co2_moer or co2_aoer)")
        }
        let units = meta?["units"]?.stringValue
        guard units == "lbs_co2_per_mwh" else {
            return .unrecognised("\(source): WattTime data in `\(units ?? "no units")`, not lbs_co2_per_mwh")
        }
        var rows: [Row] = []
        var warnings: [String] = []
        for (index, point) in (json["data"]?.arrayValue ?? []).enumerated() {
            let at = "\(source): data[\(index)]"
            guard let time = point["point_time"]?.stringValue, let start = RFC3339.parse(time) else {
                warnings.append("\(at): no RFC 3339 `point_time`; point skipped")
                continue
            }
            guard let value = point["value"]?.numberValue, value >= 0 else {
                warnings.append("\(at) (\(time)): `value` is not a number of at least 0; point skipped")
                continue
            }
            rows.append(Row(startUnixSeconds: start, gramsPerKilowattHour: value * gramsPerKilowattHourPerPoundPerMegawattHour))
        }
        if rows.isEmpty {
            return .unrecognised("\(source): WattTime historical data without a usable point\(warnings.first.map { " (\($0))" } ?? "")")
        }
        var table = EmissionFactorTable(rows: rows)
        table.provenance = GridIntensityProvenance(
            provider: .wattTime, zone: meta?["region"]?.stringValue, signal: signal, estimatedPoints: nil, points: table.rows.count
        )
        return .table(table, warnings: warnings)
    }
}
