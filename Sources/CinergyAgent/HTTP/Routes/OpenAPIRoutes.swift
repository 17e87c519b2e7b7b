import Hummingbird

/// `GET /openapi.yaml`: the OpenAPI 3 document of this API.
struct OpenAPIRoutes<Context: RequestContext>: Sendable {
    var endpoints: [Endpoint<Context>] {
        [
            .get("/openapi.yaml") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "application/yaml; charset=utf-8"],
                    body: ResponseBody(byteBuffer: OpenAPIDocument.yaml)
                )
            }
        ]
    }
}
