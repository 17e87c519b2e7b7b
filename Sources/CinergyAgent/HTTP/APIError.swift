public import Hummingbird

/// An error answered to an HTTP client as `{"error": "..."}` with a 4xx status.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    /// Extra headers, such as `Allow` on a 405.
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var writer = JSONWriter()
        writer.object { $0.field("error", message) }
        return JSONResponse.make(writer.text, status: status, extraHeaders: headers)
    }
}

enum JSONResponse {
    /// A JSON response whose body is `json`.
    static func make(_ json: String, status: HTTPResponse.Status = .ok, extraHeaders: HTTPFields = [:]) -> Response {
        make(body: body(json), status: status, extraHeaders: extraHeaders)
    }

    /// A JSON response whose body is `body` (from `body(_:)`).
    static func make(body: ByteBuffer, status: HTTPResponse.Status = .ok, extraHeaders: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// The bytes of a JSON response body: `json` and a final newline.
    static func body(_ json: String) -> ByteBuffer {
        var buffer = ByteBuffer(string: json)
        buffer.writeString("\n")
        return buffer
    }
}
