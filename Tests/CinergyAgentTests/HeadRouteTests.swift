import CinergyAgent
import CinergyCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `HEAD` is answered wherever `GET` is: the same status and headers, no body.
@Suite("HTTP API: HEAD")
struct HeadRouteTests {
    @Test("HEAD answers like GET without the body", arguments: ["/power?vm=my-vm", "/carbon?vm=my-vm", "/vms", "/health", "/metrics", "/history", "/host", "/openapi.yaml", "/"])
    func head(_ uri: String) async throws {
        let app = Application(router: buildRouter(configuration: RouteTests.configuration, registry: RouteTests.registry()))
        try await app.test(.router) { client in
            let get = try await client.execute(uri: uri, method: .get)
            let head = try await client.execute(uri: uri, method: .head)
            #expect(head.status == get.status)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test("a 404 stays a 404 under HEAD, and other methods name GET and HEAD in Allow")
    func errors() async throws {
        let app = Application(router: buildRouter(configuration: RouteTests.configuration, registry: RouteTests.registry()))
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/power?vm=absent", method: .head).status == .notFound)
            let post = try await client.execute(uri: "/host", method: .post)
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD")
        }
    }
}
