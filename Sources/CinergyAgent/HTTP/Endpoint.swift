import Hummingbird

/// One endpoint of the API: a path, a method and the handler that answers it.
///
/// The endpoints the route types list (`PowerRoutes.endpoints`, ...) are the API's one route
/// table: `buildRouter` registers each, and derives from the same list the paths that the request
/// counter labels and the methods a 405 names.
struct Endpoint<Context: RequestContext>: Sendable {
    let path: String
    let method: HTTPRequest.Method
    let handler: @Sendable (Request, Context) async throws -> Response

    /// A `GET` endpoint.
    static func get(_ path: String, _ handler: @escaping @Sendable (Request, Context) async throws -> Response) -> Endpoint {
        Endpoint(path: path, method: .get, handler: handler)
    }
}

extension Router {
    /// Serves `endpoints`, each behind the middlewares added so far.
    func add(_ endpoints: [Endpoint<Context>]) {
        for endpoint in endpoints {
            on(RouterPath(endpoint.path), method: endpoint.method, use: endpoint.handler)
        }
    }
}

extension Array {
    /// Each path of these endpoints with the methods it allows, in the order listed; `HEAD` is
    /// allowed wherever `GET` is (the router answers it with the `GET` response's head).
    func allowedMethods<Context>() -> [String: [HTTPRequest.Method]] where Element == Endpoint<Context> {
        Dictionary(map { ($0.path, $0.method == .get ? [.get, .head] : [$0.method]) }, uniquingKeysWith: +)
    }
}
