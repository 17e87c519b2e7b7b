/// Parses the output of `ipmitool dcmi power reading`.
///
/// ```
///     Instantaneous power reading:                   174 Watts
///     Minimum during sampling period:                 92 Watts
///     …
/// ```
public enum DCMIPowerReading {
    /// The instantaneous power in watts, or nil when the output has no such line.
    public static func instantaneousWatts(in output: String) -> Double? {
        for line in output.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0.isWhitespace }
            guard trimmed.lowercased().hasPrefix("instantaneous power reading"),
                let colon = trimmed.firstIndex(of: ":")
            else { continue }
            let words = trimmed[trimmed.index(after: colon)...].split(whereSeparator: \.isWhitespace)
            guard let number = words.first.flatMap({ Double($0) }), number.isFinite, number >= 0 else { return nil }
            if words.count > 1, !words[1].lowercased().hasPrefix("watt") { return nil }
            return number
        }
        return nil
    }
}
