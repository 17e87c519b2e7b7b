import CinergyCore
import Testing

@Suite("JSON reader")
struct JSONValueTests {
    @Test("objects, arrays, numbers, strings with escapes, literals")
    func parses() throws {
        let value = try JSONValue.parse(#" { "a": [1, -2.5e2, 0.125], "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": true, "d": null, "e": {} } "#)
        #expect(value["a"] == .array([.number(1), .number(-250), .number(0.125)]))
        #expect(value["b"]?.stringValue == "x\"\\/\né😀")
        #expect(value["c"]?.boolValue == true)
        #expect(value["d"]?.isNull == true)
        #expect(value["e"] == .object([]))
        #expect(value["missing"] == nil)
        #expect(try JSONValue.parse("\"caf\u{e9}\"").stringValue == "café")
    }

    @Test("not JSON", arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\u{1}\"", "tru", "{} {}", "1e999", "\"\\ud800\""])
    func refuses(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text) }
    }

    @Test("deep nesting is refused, not recursed into")
    func deep() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(String(repeating: "[", count: 10_000)) }
    }
}
