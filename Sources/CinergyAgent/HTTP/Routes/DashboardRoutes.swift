import Hummingbird

/// `GET /`: a small self-contained dashboard page (no external assets).
struct DashboardRoutes<Context: RequestContext>: Sendable {
    func add(to router: Router<Context>) {
        router.get("/") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardPage.html))
            )
        }
    }
}

enum DashboardPage {
    static let html = "<!doctype html><title>Cinergy</title><p>Cinergy</p>"
}
