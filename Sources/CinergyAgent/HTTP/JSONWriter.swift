/// Writes JSON with keys in the order given and explicit nulls, which `JSONEncoder` does not
/// promise. The API's field order is part of its contract (the seed's responses).
struct JSONWriter {
    private(set) var text = ""
    private var needsComma: [Bool] = []

    init() {}

    /// Writes an object; `body` adds its fields.
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        text.append("{")
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text.append("}")
    }

    /// Writes an array; `body` adds its elements.
    mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        text.append("[")
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text.append("]")
    }

    /// Writes a key inside an object; the next value written is its value.
    mutating func key(_ key: String) {
        separate()
        Self.appendString(key, to: &text)
        text.append(":")
        // The value that follows must not be preceded by a comma.
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = false }
    }

    mutating func value(_ value: String?) {
        separate()
        if let value { Self.appendString(value, to: &text) } else { text.append("null") }
    }

    /// A number; non-finite values become null (JSON has no NaN or infinity).
    mutating func value(_ value: Double?) {
        separate()
        if let value, value.isFinite { text.append(value.description) } else { text.append("null") }
    }

    mutating func value(_ value: Int?) {
        separate()
        if let value { text.append(String(value)) } else { text.append("null") }
    }

    mutating func value(_ value: Bool) {
        separate()
        text.append(value ? "true" : "false")
    }

    mutating func field(_ name: String, _ value: String?) { key(name); self.value(value) }
    mutating func field(_ name: String, _ value: Double?) { key(name); self.value(value) }
    mutating func field(_ name: String, _ value: Int?) { key(name); self.value(value) }
    mutating func field(_ name: String, _ value: Bool) { key(name); self.value(value) }

    private mutating func separate() {
        guard !needsComma.isEmpty else { return }
        if needsComma[needsComma.count - 1] { text.append(",") }
        needsComma[needsComma.count - 1] = true
    }

    private static func appendString(_ string: String, to text: inout String) {
        text.append("\"")
        // Most strings (names, UUIDs, timestamps) need no escape: copied whole, not scalar by scalar.
        guard string.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            text.append(string)
            text.append("\"")
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text.append("\\\"")
            case "\\": text.append("\\\\")
            case "\n": text.append("\\n")
            case "\r": text.append("\\r")
            case "\t": text.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text.append("\"")
    }
}
