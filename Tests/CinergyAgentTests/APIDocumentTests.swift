@testable import CinergyAgent
import CinergyCore
import CinergyLedger
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

/// The API's three descriptions kept in step: the JSON the handlers write, the OpenAPI document
/// (`Resources/openapi.yaml`) and the dashboard (`Resources/dashboard.html`). Every field of every
/// JSON response is in the document's schema for that route and status, every required field is
/// written, and every JSON field the dashboard reads is in the document. The files are also what
/// the agent serves, byte for byte.
@Suite("HTTP API: handlers, OpenAPI document and dashboard agree")
struct APIDocumentTests {
    static let resources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../Sources/CinergyAgent/Resources").standardized

    static func resource(_ name: String) throws -> String {
        try String(contentsOf: resources.appendingPathComponent(name), encoding: .utf8)
    }

    typealias Node = [String: Any]

    static func document() throws -> Node {
        try #require(try Yams.load(yaml: resource("openapi.yaml")) as? Node, "openapi.yaml is not a mapping")
    }

    /// The node `#/a/b/c` names, or `node` itself.
    static func resolve(_ node: Node, in document: Node) throws -> Node {
        guard let reference = node["$ref"] as? String else { return node }
        var target = document
        for part in reference.dropFirst(2).split(separator: "/") {
            target = try #require(target[String(part)] as? Node, "\(reference) does not resolve")
        }
        return try resolve(target, in: document)
    }

    /// Checks `value` (from `JSONSerialization`) against `schema`: objects have only the
    /// schema's properties (through `$ref` and `allOf`), or any where it gives `additionalProperties`
    /// a schema (a map such as a model version's parameters), and all its required ones; arrays,
    /// their items. Types are the end-to-end suite's business (it validates real responses).
    static func check(_ value: Any, against schema: Node, at path: String, in document: Node) throws -> [String] {
        let schema = try resolve(schema, in: document)
        var properties: [String: Node] = [:]
        var required: [String] = []
        var additional: Node?
        func collect(_ part: Node) throws {
            let part = try resolve(part, in: document)
            if let schema = part["additionalProperties"] as? Node { additional = schema }
            for (key, property) in part["properties"] as? Node ?? [:] {
                properties[key] = try #require(property as? Node, "\(path): property \(key) is not a schema")
            }
            required += part["required"] as? [String] ?? []
            for member in part["allOf"] as? [Node] ?? [] { try collect(member) }
        }
        try collect(schema)
        var problems: [String] = []
        if let object = value as? [String: Any] {
            for missing in required where object[missing] == nil { problems.append("\(path): required \(missing) is not written") }
            for (key, field) in object.sorted(by: { $0.key < $1.key }) {
                guard let property = properties[key] ?? additional else {
                    problems.append("\(path).\(key) is written but not in the document")
                    continue
                }
                if !(field is NSNull) { problems += try check(field, against: property, at: "\(path).\(key)", in: document) }
            }
        } else if let array = value as? [Any], let items = schema["items"] as? Node {
            for (index, item) in array.enumerated() { problems += try check(item, against: items, at: "\(path)[\(index)]", in: document) }
        }
        return problems
    }

    /// GETs `uri` and checks a JSON body against the document's response for its route and status.
    static func check(_ uri: String, router: Router<BasicRequestContext>, document: Node) async throws -> [String] {
        let (status, contentType, body) = try await Application(router: router).test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                (response.status.code, response.headers[.contentType] ?? "", String(buffer: response.body))
            }
        }
        let route = String(uri.prefix { $0 != "?" })
        let paths = document["paths"] as? Node
        let operation = try #require((paths?[route] as? Node)?["get"] as? Node, "\(route) is not in the document")
        let responses = operation["responses"] as? Node
        let documented = try #require(responses?[String(status)] as? Node, "\(uri): status \(status) is not documented")
        let response = try resolve(documented, in: document)
        guard contentType.hasPrefix("application/json") else { return [] }
        let content = (response["content"] as? Node)?["application/json"] as? Node
        let schema = try #require(content?["schema"] as? Node, "\(uri): \(status) has no JSON schema")
        let value = try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
        return try check(value, against: schema, at: "\(uri) \(status)", in: document)
    }

    @Test("every JSON field each route writes is in the document, and every required one is written")
    func handlersMatchTheDocument() async throws {
        let document = try Self.document()
        let router = buildRouter(configuration: RouteTests.configuration, registry: RouteTests.registry())
        var problems: [String] = []
        for uri in [
            "/power?vm=my-vm", "/power?vm=fresh", "/power", "/power?vm=no-such-vm", "/power?vm=twin", "/carbon?vm=my-vm",
            "/carbon?vm=no-such-vm", "/vms", "/history", "/history?vm=my-vm", "/health", "/host", "/energy?vm=my-vm", "/report",
        ] {
            problems += try await Self.check(uri, router: router, document: document)
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("the ledger's reports write what the document says")
    func ledgerRoutesMatchTheDocument() async throws {
        let document = try Self.document()
        try await LedgerRouteTests.withLedger { ledger in
            let router = buildRouter(configuration: LedgerRouteTests.configuration, registry: VMRegistry(), ledger: ledger)
            var problems: [String] = []
            for uri in [
                "/energy?vm=a&from=2026-12-01T00:00:00Z&to=2026-12-01T03:00:00Z", "/energy?vm=a&step=1h&from=2026-12-01T00:00:00Z",
                "/energy?vm=twin", "/report?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z",
                "/report?by=project&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z", "/health",
            ] {
                problems += try await Self.check(uri, router: router, document: document)
            }
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
    }

    @Test("every JSON field the dashboard reads is a property in the document")
    func dashboardReadsDocumentedFields() throws {
        let page = try Self.resource("dashboard.html")
        var documented: Set<String> = []
        func collect(_ node: Any) {
            if let mapping = node as? Node {
                for (key, value) in mapping {
                    if key == "properties", let properties = value as? Node { documented.formUnion(properties.keys) }
                    collect(value)
                }
            } else if let list = node as? [Any] {
                list.forEach(collect)
            }
        }
        collect(try Self.document())
        // The API's fields are snake_case: `row.mean_power_watts`, `"energy_joules"` as a key.
        let fieldPattern = try NSRegularExpression(pattern: #"[."]([a-z]+(?:_[a-z]+)+)\b"#)
        let range = NSRange(page.startIndex..., in: page)
        let read = Set(fieldPattern.matches(in: page, range: range).map { String(page[Range($0.range(at: 1), in: page)!]) })
        #expect(read.count > 10, "the pattern should find the dashboard's fields: \(read.sorted())")
        #expect(read.subtracting(documented).isEmpty, "read by the dashboard, not in the document: \(read.subtracting(documented).sorted())")
    }

    @Test("the agent serves the resource files byte for byte, the dashboard with a fresh nonce")
    func servedAsTheFiles() async throws {
        let router = buildRouter(configuration: RouteTests.configuration, registry: RouteTests.registry())
        try await Application(router: router).test(.router) { client in
            let (status, document) = try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                (response.status, String(buffer: response.body))
            }
            #expect(status == .ok)
            #expect(document == (try Self.resource("openapi.yaml")))
            var nonces: [String] = []
            for _ in 0..<2 {
                let (policy, page) = try await client.execute(uri: "/", method: .get) { response in
                    (response.headers[.contentSecurityPolicy] ?? "", String(buffer: response.body))
                }
                let nonce = try #require(policy.firstMatch(of: /'nonce-([0-9a-f]{32})'/)?.output.1)
                nonces.append(String(nonce))
                let unstamped = page.replacingOccurrences(of: #"<script nonce="\#(nonce)">"#, with: #"<script nonce="{{nonce}}">"#)
                #expect(unstamped == (try Self.resource("dashboard.html")))
            }
            #expect(nonces[0] != nonces[1])
        }
    }
}
