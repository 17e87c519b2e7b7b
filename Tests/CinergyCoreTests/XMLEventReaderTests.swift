import Testing

@testable import CinergyCore

@Suite("XML reader of domain metadata")
struct XMLEventReaderTests {
    typealias Event = XMLEventReader.Event

    @Test("elements, namespaces in scope, attributes in either quote, text")
    func elements() throws {
        let events = try XMLEventReader.events(
            of: "<?xml version=\"1.0\"?>\n<n:a xmlns:n=\"urn:x\" k='v'><n:b/><c>t</c></n:a>\n"
        )
        #expect(
            events == [
                .start(localName: "a", namespace: "urn:x", attributes: ["xmlns:n": "urn:x", "k": "v"]),
                .start(localName: "b", namespace: "urn:x", attributes: [:]), .end(localName: "b"),
                .start(localName: "c", namespace: nil, attributes: [:]), .text("t"), .end(localName: "c"),
                .end(localName: "a"),
            ]
        )
    }

    @Test("entities, character references, CDATA and comments")
    func characters() throws {
        let events = try XMLEventReader.events(
            of: "<a t=\"&quot;x&quot; &amp; &#x48;\">&lt;&gt;&apos;&#233;<!-- no --><![CDATA[<raw&>]]></a>"
        )
        #expect(events.first == .start(localName: "a", namespace: nil, attributes: ["t": "\"x\" & H"]))
        let text = events.compactMap { if case .text(let piece) = $0 { piece } else { nil } }.joined()
        #expect(text == "<>'é<raw&>")
    }

    @Test(
        "what is not well-formed is refused",
        arguments: [
            "", "text", "<a>", "<a></b>", "<a/><b/>", "<a/>tail", "<a b=c/>", "<a b=\"1\"c=\"2\"/>", "<a b='<'/>",
            "<a>&unknown;</a>", "<a>&#0;</a>", "<n:a/>", "<!DOCTYPE a><a/>", "<a><!-- open</a>", "<1a/>",
            "<a b=\"1\" b=\"2\"/>",
        ]
    )
    func malformed(_ xml: String) {
        #expect(throws: XMLEventReader.Malformed.self) { try XMLEventReader.events(of: xml) }
    }
}
