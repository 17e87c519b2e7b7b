import Hummingbird
import Logging

/// Turns every error into a JSON body: unknown paths into 404, known paths asked with another
/// method into 405 with `Allow`, anything unexpected into a 500 that says nothing internal.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Paths served, each with the methods it allows.
    let routes: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            if let allowed = routes[request.uri.path] {
                let allow = allowed.map(\.rawValue).joined(separator: ", ")
                return try APIError(
                    .methodNotAllowed,
                    "method \(request.method.rawValue) is not allowed on \(request.uri.path); use \(allow)",
                    headers: [.allow: allow]
                ).response(from: request, context: context)
            }
            return try APIError(.notFound, "no such endpoint; see GET /openapi.yaml for the API")
                .response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try APIError(error.status, error.status.reasonPhrase).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return try APIError(.internalServerError, "internal error").response(from: request, context: context)
        }
    }
}
