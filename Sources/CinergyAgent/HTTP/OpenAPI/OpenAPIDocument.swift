import NIOCore

/// The OpenAPI 3 document of the whole HTTP API, served at `GET /openapi.yaml`: the file
/// `Resources/openapi.yaml`, embedded in the binary by SwiftPM. The end-to-end suite checks real
/// responses against it and runs schemathesis on it, and `APIDocumentTests` checks that it names
/// every JSON field the handlers write and the dashboard reads, so it stays true.
enum OpenAPIDocument {
    /// The document's bytes, as served.
    static let yaml = ByteBuffer(bytes: PackageResources.openapi_yaml)
}
