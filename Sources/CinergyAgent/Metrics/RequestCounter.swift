import Hummingbird
import Synchronization

/// Counts HTTP requests by route and status for `cinergy_http_requests_total`. Routes are the
/// API's paths; anything else counts as `other`, so that arbitrary URLs cannot blow up the number
/// of series.
final class RequestCounter: Sendable {
    struct Key: Hashable, Sendable {
        var route: String
        var status: Int
    }

    let routes: Set<String>
    private let counts = Mutex<[Key: UInt64]>([:])

    init(routes: Set<String>) {
        self.routes = routes
    }

    func count(path: String, status: Int) {
        let key = Key(route: routes.contains(path) ? path : "other", status: status)
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Every count so far, sorted by route then status.
    func snapshot() -> [(Key, UInt64)] {
        counts.withLock { $0.map { ($0.key, $0.value) } }
            .sorted { ($0.0.route, $0.0.status) < ($1.0.route, $1.0.status) }
    }
}

/// Counts every response (errors included) in a `RequestCounter`.
struct RequestCountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let counter: RequestCounter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        counter.count(path: request.uri.path, status: response.status.code)
        return response
    }
}
