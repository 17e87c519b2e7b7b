import Hummingbird
import Synchronization

/// Counts HTTP requests by route and status for `cinergy_http_requests_total`.
final class RequestCounter: Sendable {
    struct Key: Hashable, Sendable {
        var route: String
        var status: Int
    }

    private let counts = Mutex<[Key: UInt64]>([:])

    init() {}

    func count(route: String, status: Int) {
        let key = Key(route: route, status: status)
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Every count so far, sorted by route then status.
    func snapshot() -> [(Key, UInt64)] {
        counts.withLock { $0.map { ($0.key, $0.value) } }
            .sorted { ($0.0.route, $0.0.status) < ($1.0.route, $1.0.status) }
    }
}

/// Counts every response (errors included) in a `RequestCounter`. Routes are the API's paths;
/// any other path counts as `other`, so that arbitrary URLs cannot blow up the number of series.
struct RequestCountingMiddleware<Context: RequestContext>: RouterMiddleware {
    let counter: RequestCounter
    /// The API's paths.
    let routes: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        let path = request.uri.path
        counter.count(route: routes.contains(path) ? path : "other", status: response.status.code)
        return response
    }
}
