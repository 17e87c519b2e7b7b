import Hummingbird

/// Requires `Authorization: Bearer TOKEN` on every path but the open ones (`/health`, and the
/// dashboard page itself, which holds no data and asks for the token). The token is compared in
/// constant time and never logged.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken
    let openPaths: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if openPaths.contains(request.uri.path) { return try await next(request, context) }
        let prefix = "Bearer "
        guard let header = request.headers[.authorization], header.hasPrefix(prefix),
            token.matches(header.utf8.dropFirst(prefix.utf8.count))
        else {
            throw APIError(
                .unauthorized,
                "missing or invalid bearer token: send Authorization: Bearer TOKEN",
                headers: [.wwwAuthenticate: "Bearer realm=\"cinergy\""]
            )
        }
        return try await next(request, context)
    }
}
