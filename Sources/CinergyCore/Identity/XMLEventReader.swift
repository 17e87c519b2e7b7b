/// A small, non-validating XML reader for the short documents libvirt hands back (domain
/// metadata): it reports elements with their namespace, attributes and text, and fails on what is
/// not well-formed. No DTDs (a `<!DOCTYPE` fails), no external entities: only the five predefined
/// entities and character references are expanded.
///
/// It replaces Foundation's XMLParser, which would link libxml2 (and ICU) into the agent for this.
struct XMLEventReader {
    enum Event: Equatable {
        /// An element opened: its local name, namespace URI (nil when none is in scope) and
        /// attributes by qualified name (namespace declarations included).
        case start(localName: String, namespace: String?, attributes: [String: String])
        /// Character data (text and CDATA), entities expanded; may come in several pieces.
        case text(String)
        /// The element last opened closed.
        case end(localName: String)
    }

    struct Malformed: Error {}

    private let bytes: [UInt8]
    private var position = 0

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Every event of the document, in order, or `Malformed`: exactly one root element, tags that
    /// match, quoted attributes, declared prefixes, nothing but whitespace, comments and
    /// processing instructions around the root.
    static func events(of text: String) throws(Malformed) -> [Event] {
        var reader = XMLEventReader(text)
        return try reader.readDocument()
    }

    private mutating func readDocument() throws(Malformed) -> [Event] {
        var events: [Event] = []
        // Open elements: qualified name and the namespace bindings in scope.
        var open: [(name: String, namespaces: [String: String])] = []
        var sawRoot = false
        while position < bytes.count {
            if bytes[position] != UInt8(ascii: "<") {
                let text = try readText()
                if open.isEmpty {
                    guard text.allSatisfy(\.isWhitespace) else { throw Malformed() }
                } else {
                    events.append(.text(text))
                }
                continue
            }
            if skip("<?") {
                try skipPast("?>")
            } else if skip("<!--") {
                try skipPast("-->")
            } else if skip("<![CDATA[") {
                guard !open.isEmpty else { throw Malformed() }
                let start = position
                try skipPast("]]>")
                events.append(.text(String(decoding: bytes[start..<(position - 3)], as: UTF8.self)))
            } else if skip("</") {
                let name = try readName()
                skipWhitespace()
                guard skip(">"), let element = open.popLast(), element.name == name else { throw Malformed() }
                events.append(.end(localName: Self.localName(of: name)))
            } else if skip("<") {
                guard !(open.isEmpty && sawRoot) else { throw Malformed() }
                sawRoot = true
                let name = try readName()
                var attributes: [String: String] = [:]
                var selfClosing = false
                while true {
                    let hadSpace = skipWhitespace()
                    if skip("/>") {
                        selfClosing = true
                        break
                    }
                    if skip(">") { break }
                    guard hadSpace else { throw Malformed() }
                    let attribute = try readName()
                    skipWhitespace()
                    guard skip("=") else { throw Malformed() }
                    skipWhitespace()
                    guard attributes.updateValue(try readQuotedValue(), forKey: attribute) == nil else { throw Malformed() }
                }
                var namespaces = open.last?.namespaces ?? [:]
                for (attribute, value) in attributes {
                    if attribute == "xmlns" {
                        namespaces[""] = value
                    } else if attribute.hasPrefix("xmlns:") {
                        namespaces[String(attribute.dropFirst(6))] = value
                    }
                }
                let prefix = name.firstIndex(of: ":").map { String(name[..<$0]) } ?? ""
                let namespace = namespaces[prefix]
                guard prefix.isEmpty || namespace != nil else { throw Malformed() }
                events.append(.start(localName: Self.localName(of: name), namespace: namespace, attributes: attributes))
                if selfClosing {
                    events.append(.end(localName: Self.localName(of: name)))
                } else {
                    open.append((name, namespaces))
                }
            }
        }
        guard sawRoot, open.isEmpty else { throw Malformed() }
        return events
    }

    private static func localName(of name: String) -> String {
        name.firstIndex(of: ":").map { String(name[name.index(after: $0)...]) } ?? name
    }

    /// Consumes `literal` if the input continues with it.
    private mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[position + $0] == expected[$0] }
        }
        if matches { position += count }
        return matches
    }

    private mutating func skipPast(_ terminator: StaticString) throws(Malformed) {
        while position < bytes.count {
            if skip(terminator) { return }
            position += 1
        }
        throw Malformed()
    }

    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = position
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        return position > start
    }

    /// A name: letters, digits and `_ - . :`, and any non-ASCII byte; not starting with a digit,
    /// `-` or `.`.
    private mutating func readName() throws(Malformed) -> String {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            let isNameByte =
                byte >= 0x80 || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
            guard isNameByte else { break }
            position += 1
        }
        guard position > start else { throw Malformed() }
        let first = bytes[start]
        guard !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) && first != UInt8(ascii: "-")
            && first != UInt8(ascii: ".")
        else { throw Malformed() }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func readQuotedValue() throws(Malformed) -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw Malformed()
        }
        let quote = bytes[position]
        position += 1
        return try readCharacters(until: quote)
    }

    private mutating func readText() throws(Malformed) -> String {
        try readCharacters(until: UInt8(ascii: "<"))
    }

    /// Characters up to `terminator` (consumed when it is a quote, left when it is `<`),
    /// expanding entity and character references; a raw `<` inside an attribute value is malformed.
    private mutating func readCharacters(until terminator: UInt8) throws(Malformed) -> String {
        var output: [UInt8] = []
        while true {
            guard position < bytes.count else {
                if terminator == UInt8(ascii: "<") { break }
                throw Malformed()
            }
            let byte = bytes[position]
            if byte == terminator {
                if terminator != UInt8(ascii: "<") { position += 1 }
                break
            }
            if byte == UInt8(ascii: "<") { throw Malformed() }
            if byte == UInt8(ascii: "&") {
                output.append(contentsOf: try readReference().utf8)
            } else {
                output.append(byte)
                position += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `&name;` for the five predefined entities, `&#N;` and `&#xN;`.
    private mutating func readReference() throws(Malformed) -> String {
        position += 1
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: ";") {
            guard position - start < 10 else { throw Malformed() }
            position += 1
        }
        guard position < bytes.count else { throw Malformed() }
        let name = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        switch name {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            let scalarValue: UInt32?
            if name.hasPrefix("#x") {
                scalarValue = UInt32(name.dropFirst(2), radix: 16)
            } else if name.hasPrefix("#") {
                scalarValue = UInt32(name.dropFirst(1), radix: 10)
            } else {
                scalarValue = nil
            }
            guard let scalarValue, scalarValue != 0, let scalar = Unicode.Scalar(scalarValue) else { throw Malformed() }
            return String(Character(scalar))
        }
    }
}
