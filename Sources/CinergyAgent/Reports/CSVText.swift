/// RFC 4180 CSV: lines ending in CRLF, fields quoted when they hold a comma, quote or line break.
enum CSVText {
    static func field(_ text: String?) -> String {
        guard let text else { return "" }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        var quoted = "\""
        for character in text { quoted += character == "\"" ? "\"\"" : String(character) }
        return quoted + "\""
    }

    /// A number as JSON writes it; empty for none.
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "" }
        return value.description
    }

    static func line(_ fields: [String]) -> String {
        fields.joined(separator: ",") + "\r\n"
    }
}
