import CinergyCore
import CinergyFleet
import CinergySystem
import HummingbirdTLS
import SystemPackage

/// The parsers the configuration table's entries share.
enum ConfigurationParse {
    /// `true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0`), any case.
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "1", "on": true
        case "false", "no", "0", "off": false
        default: nil
        }
    }

    /// A finite decimal number; nil for anything else (including `nan`, `inf`, hex and overflow).
    static func finiteNumber(_ text: String) -> Double? {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty,
            trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
            let value = Double(trimmed), value.isFinite
        else { return nil }
        return value
    }

    /// A Prometheus label value as the configuration accepts it: 1 to 128 printable characters
    /// (no control characters, so none to escape but quotes and backslashes).
    static func isLabelValue(_ text: String) -> Bool {
        (1...128).contains(text.count) && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }

    /// One or more finite numbers separated by commas.
    static func numberList(_ text: String) -> [Double]? {
        let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { finiteNumber(String($0)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else { return nil }
        return numbers.compactMap { $0 }
    }

    /// Strips one pair of matching surrounding quotes, as many `.env` writers add them.
    static func unquoted(_ text: String) -> String {
        guard text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first else { return text }
        return String(text.dropFirst().dropLast())
    }

    /// `scheme:...` with a scheme of letters, digits and `+`, as libvirt URIs are (`qemu:///system`,
    /// `qemu+ssh://host/system`, `test:///default`).
    static func isLibvirtURI(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
        let scheme = text[..<colon]
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+") }
            && !text.contains(where: { $0.isWhitespace || $0.isNewline })
    }

    /// An IPv4 or IPv6 address in its usual text form (`inet_pton`).
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// The token in the regular file at `path`: 16 to 4096 visible ASCII characters, surrounding
    /// white space ignored.
    static func bearerToken(inFile path: String) -> BearerToken? {
        guard case .success(let contents?) = EnvFile.read(path, required: true) else { return nil }
        let token = contents.trimmingWhitespace()
        guard (16...4096).contains(token.utf8.count), token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return BearerToken(token)
    }

    /// The certificates of a PEM file, loaded once here and served from the configuration.
    static func certificateChain(inFile path: String) -> [NIOSSLCertificate]? {
        guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else { return nil }
        return certificates
    }

    /// The private key of a PEM file.
    static func privateKey(inFile path: String) -> NIOSSLPrivateKey? {
        try? NIOSSLPrivateKey(file: path, format: .pem)
    }

    /// The password on the first line of the regular file at `path` (1 to 1024 characters, the
    /// line's end and surrounding white space ignored).
    static func fleetPassword(inFile path: String) -> FleetPassword? {
        guard case .success(let contents?) = EnvFile.read(path, required: true) else { return nil }
        let line = (contents.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmingWhitespace()
        guard (1...1024).contains(line.count) else { return nil }
        return FleetPassword(line)
    }

    /// Whether this process may read the file at `path`.
    static func isReadable(_ path: String) -> Bool {
        access(path, R_OK) == 0
    }

    /// The host's name (`gethostname`), `localhost` when it has none.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
