import Hummingbird

/// `GET /`: the dashboard page (``DashboardPage``), self-contained, under a Content-Security-Policy
/// that lets it load nothing from elsewhere and run only its own script (`SecurityHeadersMiddleware`
/// adds the other security headers and keeps this policy).
struct DashboardRoutes<Context: RequestContext>: Sendable {
    var endpoints: [Endpoint<Context>] {
        [.get("/") { _, _ in page() }]
    }

    func page() -> Response {
        let nonce = Self.nonce()
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: DashboardPage.contentSecurityPolicy(nonce: nonce),
            ],
            body: ResponseBody(byteBuffer: DashboardPage.html(nonce: nonce))
        )
    }

    /// A fresh CSP nonce for each response: 128 random bits as 32 hex digits.
    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
