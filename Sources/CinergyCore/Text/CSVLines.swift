/// The lines of a small comma-separated file, as the agent's CSV inputs take them (the emission
/// factor file, calibrate's points): lines end at any line break (`\n`, `\r\n`, `\r`), each line
/// and each field is trimmed (``StringProtocol/trimmingWhitespace()``, so a byte-order mark goes
/// too), blank lines and lines starting with `#` are skipped, and fields are split at every comma
/// (no quoting: none of these files has a comma inside a field).
public enum CSVLines {
    /// One line that holds data (or a header).
    public struct Line: Sendable, Equatable {
        /// The line's number in the file, from 1 (blank and comment lines counted).
        public var number: Int
        /// The line, trimmed.
        public var text: String
        /// Its comma-separated fields, each trimmed; empty fields kept.
        public var fields: [String]

        public init(number: Int, text: String, fields: [String]) {
            self.number = number
            self.text = text
            self.fields = fields
        }
    }

    /// The data lines of `text`, in order.
    public static func parse(_ text: String) -> [Line] {
        var lines: [Line] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            lines.append(Line(number: index + 1, text: line, fields: fields))
        }
        return lines
    }
}
