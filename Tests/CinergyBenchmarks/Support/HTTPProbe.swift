import CinergySystem
import CinergyTestSupport
import Foundation

/// A minimal blocking HTTP/1.1 client on loopback, for timing single requests: one connection per
/// request (`Connection: close`), the body read to the end (chunked bodies decoded).
enum HTTPProbe {
    struct Response {
        let status: Int
        let headers: String
        let body: [UInt8]
        /// From before `connect` to the last byte read.
        let seconds: Double

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Why a request could not be made.
    enum Failure: Error, CustomStringConvertible {
        case refused
        case failed(String)

        var description: String {
            switch self {
            case .refused: "connection refused"
            case .failed(let why): why
            }
        }
    }

    /// GETs `path` from 127.0.0.1:`port`.
    static func get(port: Int, path: String, timeoutSeconds: Int = 30) throws(Failure) -> Response {
        let start = Kernel.monotonicSeconds()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .failed("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            if errno == ECONNREFUSED { throw .refused }
            throw .failed("connect to port \(port): \(String(cString: strerror(errno)))")
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw .failed("send: \(String(cString: strerror(errno)))") }
            sent += count
        }
        var raw: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .failed("recv: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            raw.append(contentsOf: chunk[0..<count])
        }
        let seconds = Kernel.monotonicSeconds() - start
        guard let split = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { throw .failed("no HTTP header in \(raw.count) bytes") }
        let headers = String(decoding: raw[..<split.lowerBound], as: UTF8.self)
        let statusLine = headers.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw .failed("bad status line: \(statusLine)") }
        var body = Array(raw[split.upperBound...])
        if headers.lowercased().contains("transfer-encoding: chunked") { body = try dechunk(body) }
        return Response(status: status, headers: headers, body: body, seconds: seconds)
    }

    private static func dechunk(_ bytes: [UInt8]) throws(Failure) -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let end = bytes[index...].firstRange(of: Array("\r\n".utf8)) else { break }
            let sizeText = String(decoding: bytes[index..<end.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw .failed("bad chunk size \(sizeText)")
            }
            if size == 0 { break }
            let start = end.upperBound
            guard start + size <= bytes.count else { throw .failed("truncated chunk") }
            body.append(contentsOf: bytes[start..<(start + size)])
            index = start + size + 2
        }
        return body
    }
}
