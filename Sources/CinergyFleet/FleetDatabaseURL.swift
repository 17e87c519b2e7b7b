/// Where the fleet's central PostgreSQL is (`FLEET_DATABASE_URL`):
/// `postgres://USER@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=FILE]` (also `postgresql://`;
/// an IPv6 host in brackets; `%XX` escapes in the user and database). The URL never carries the
/// password: it comes from a file (`FLEET_DATABASE_PASSWORD_FILE`), so that the URL can be shown
/// in `/health` and the log.
public struct FleetDatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is encrypted and the server checked, as libpq's `sslmode` says it.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS or no connection, without checking the certificate.
        case require
        /// TLS, the certificate checked against the trusted roots, not the host name.
        case verifyCA = "verify-ca"
        /// TLS, the certificate checked against the trusted roots and the host name.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var tlsMode: TLSMode
    /// PEM file of the roots the server's certificate must chain to (`sslrootcert`); nil: the
    /// system's trusted roots.
    public var rootCertificateFile: String?

    public init(user: String, host: String, port: Int = 5432, database: String, tlsMode: TLSMode = .prefer, rootCertificateFile: String? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.tlsMode = tlsMode
        self.rootCertificateFile = rootCertificateFile
    }

    /// Why `text` is not such a URL; nil parses.
    public enum ParseError: Error, Sendable, Equatable {
        case notAURL
        case hasPassword
        case badParameter(String)
    }

    /// Parses the URL.
    public static func parse(_ text: String) -> Result<FleetDatabaseURL, ParseError> {
        var rest = Substring(text)
        var matched = false
        for scheme in ["postgres://", "postgresql://"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            matched = true
        }
        guard matched, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else { return .failure(.notAURL) }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { return .failure(.notAURL) }
        let authority = rest[..<slash]
        guard let database = decode(rest[rest.index(after: slash)...]), !database.isEmpty, !database.contains("/") else {
            return .failure(.notAURL)
        }
        guard let at = authority.lastIndex(of: "@") else { return .failure(.notAURL) }
        let userInfo = authority[..<at]
        if userInfo.contains(":") { return .failure(.hasPassword) }
        guard let user = decode(userInfo), !user.isEmpty else { return .failure(.notAURL) }
        var hostPort = authority[authority.index(after: at)...]
        var host: Substring
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return .failure(.notAURL) }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            hostPort = hostPort[hostPort.index(after: close)...]
        } else {
            let colon = hostPort.firstIndex(of: ":") ?? hostPort.endIndex
            host = hostPort[..<colon]
            hostPort = hostPort[colon...]
        }
        guard !host.isEmpty else { return .failure(.notAURL) }
        var port = 5432
        if !hostPort.isEmpty {
            guard hostPort.hasPrefix(":"), let value = Int(hostPort.dropFirst()), (1...65535).contains(value) else {
                return .failure(.notAURL)
            }
            port = value
        }
        var url = FleetDatabaseURL(user: user, host: String(host), port: port, database: database)
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let value = decode(parts[1]) else { return .failure(.badParameter(String(pair))) }
            switch parts[0] {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else { return .failure(.badParameter(String(pair))) }
                url.tlsMode = mode
            case "sslrootcert":
                guard value.hasPrefix("/") else { return .failure(.badParameter(String(pair))) }
                url.rootCertificateFile = value
            default:
                return .failure(.badParameter(String(pair)))
            }
        }
        return .success(url)
    }

    /// `text` with whatever lies between the scheme's `//` and the last `@` after a `:` replaced by
    /// `***` (a password written into a URL, for error messages).
    public static func redacted(_ text: String) -> String {
        guard let scheme = text.firstRange(of: "://") else { return text }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<rest.index(after: colon)]) + "***" + String(text[at...])
    }

    /// `%XX` escapes decoded; nil when an escape is bad or the result is not UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex, utf8.index(after: first) < utf8.endIndex,
                    let value = UInt8(String(decoding: [utf8[first], utf8[utf8.index(after: first)]], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                index = utf8.index(first, offsetBy: 2)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The URL as written back (no password: it never has one).
    public var description: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        var text = "postgres://\(user)@\(hostText):\(port)/\(database)?sslmode=\(tlsMode.rawValue)"
        if let rootCertificateFile { text += "&sslrootcert=\(rootCertificateFile)" }
        return text
    }
}
