public import CinergyCore
import Configuration
import Foundation
import HummingbirdTLS
import Logging
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AgentConfiguration {
    /// Where values came from, highest precedence first.
    public struct Sources: Sendable {
        /// Values given on the command line, by variable name.
        public var overrides: [String: String]
        /// The process environment; nil reads the real one.
        public var environment: [String: String]?
        /// The env file to read.
        public var envFilePath: String
        /// True when the path was chosen by the user: then a missing file is an error.
        public var envFileRequired: Bool

        public init(overrides: [String: String] = [:], environment: [String: String]? = nil, envFilePath: String = ".env", envFileRequired: Bool = false) {
            self.overrides = overrides
            self.environment = environment
            self.envFilePath = envFilePath
            self.envFileRequired = envFileRequired
        }
    }

    /// Loads the configuration: command-line values override the environment, which overrides
    /// the env file, which overrides the defaults. Every problem is reported, not just the first.
    /// - Returns: the configuration, and warnings (such as unknown variables in the env file).
    public static func load(from sources: Sources, onlineCPUs: Int = HostCPUs.onlineCount()) async throws(ConfigurationErrors) -> (AgentConfiguration, warnings: [String]) {
        var warnings: [String] = []
        let fileProvider: EnvironmentVariablesProvider
        switch Self.checkEnvFile(sources.envFilePath, required: sources.envFileRequired) {
        case .failure(let error):
            throw ConfigurationErrors([error])
        case .success(let contents):
            if let contents {
                warnings += unknownVariables(inEnvFile: contents).map {
                    "env file '\(sources.envFilePath)' sets \($0), which is not a Cinergy variable (a typo?); it is ignored"
                }
            }
            do {
                fileProvider = try await EnvironmentVariablesProvider(
                    environmentFilePath: FilePath(sources.envFilePath),
                    allowMissing: !sources.envFileRequired
                )
            } catch {
                throw ConfigurationErrors([.unreadableFile(path: sources.envFilePath, reason: "\(error)")])
            }
        }
        let environmentProvider =
            sources.environment.map { EnvironmentVariablesProvider(environmentVariables: $0) } ?? EnvironmentVariablesProvider()
        let overrides = InMemoryProvider(
            name: "command line",
            values: Dictionary(uniqueKeysWithValues: sources.overrides.map { (AbsoluteConfigKey([$0.key]), ConfigValue(.string($0.value), isSecret: false)) })
        )
        let reader = ConfigReader(providers: [overrides, environmentProvider, fileProvider])
        let configuration = try validate(onlineCPUs: onlineCPUs) { name in
            reader.string(forKey: ConfigKey([name]))
        }
        return (configuration, warnings)
    }

    /// Builds a configuration from raw values (`value(NAME)`), checking every variable's rule.
    public static func validate(onlineCPUs: Int, value: (String) -> String?) throws(ConfigurationErrors) -> AgentConfiguration {
        var errors: [ConfigurationError] = []

        func raw(_ variable: ConfigurationVariable) -> String? {
            guard let value = value(variable.name) else { return nil }
            return unquoted(value.trimmingCharacters(in: .whitespaces))
        }
        func check<T>(_ variable: ConfigurationVariable, default defaultValue: T?, _ parse: (String) -> T?) -> T? {
            guard let text = raw(variable) else {
                if defaultValue == nil { errors.append(.missing(variable: variable.name, rule: variable.rule)) }
                return defaultValue
            }
            guard let parsed = parse(text) else {
                errors.append(.invalid(variable: variable.name, value: text, rule: variable.rule))
                return nil
            }
            return parsed
        }

        let coefficients: [Double]? = check(.regCoeff, default: nil) { text in
            let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { finiteNumber(String($0)) }
            guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else { return nil }
            return numbers.compactMap { $0 }
        }
        let ratio: Double? = check(.cinergyRatio, default: nil) { finiteNumber($0).flatMap { (0...1).contains($0) ? $0 : nil } }
        let serverCores: Int? = check(.serverCores, default: onlineCPUs) { Int($0).flatMap { (1...65536).contains($0) ? $0 : nil } }
        let pue: Double? = check(.dcPUE, default: nil) { finiteNumber($0).flatMap { $0 >= 1 ? $0 : nil } }
        let emission: Double? = check(.emissionFactor, default: nil) { finiteNumber($0).flatMap { $0 >= 0 ? $0 : nil } }
        let modelInput: ModelInput? = check(.modelInput, default: .vmPercent) { ModelInput(rawValue: $0) }
        let bindAddress: String? = check(.bindAddress, default: "127.0.0.1") { isIPAddress($0) ? $0 : nil }
        let port: Int? = check(.port, default: 8080) { Int($0).flatMap { (1...65535).contains($0) ? $0 : nil } }
        let interval: Double? = check(.sampleInterval, default: 1) { finiteNumber($0).flatMap { (0.1...3600).contains($0) ? $0 : nil } }
        let libvirtURI: String?? = check(.libvirtURI, default: "qemu:///system") { text -> String?? in
            if text.lowercased() == "none" { return .some(nil) }
            return isLibvirtURI(text) ? .some(text) : nil
        }
        let procfsDiscovery: Bool? = check(.procfsDiscovery, default: true, boolean)
        let metricsNovaLabels: Bool? = check(.metricsNovaLabels, default: false, boolean)
        let authToken: BearerToken?? = check(.authTokenFile, default: .some(nil)) { path in
            guard case .success(let contents?) = checkEnvFile(path, required: true) else { return nil }
            let token = contents.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (16...4096).contains(token.utf8.count), token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
            return .some(BearerToken(token))
        }
        let certificateFile: String?? = check(.tlsCertificateFile, default: .some(nil)) { path in
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else { return nil }
            return .some(path)
        }
        let keyFile: String?? = check(.tlsKeyFile, default: .some(nil)) { path in
            guard (try? NIOSSLPrivateKey(file: path, format: .pem)) != nil else { return nil }
            return .some(path)
        }
        var tls: (certificateFile: String, keyFile: String)?
        switch (certificateFile, keyFile) {
        case (.some(.some(let certificate)), .some(.some(let key))):
            tls = (certificate, key)
        case (.some(.some), .some(.none)):
            errors.append(.missing(variable: ConfigurationVariable.tlsKeyFile.name, rule: "must be set when TLS_CERTIFICATE_FILE is"))
        case (.some(.none), .some(.some)):
            errors.append(.missing(variable: ConfigurationVariable.tlsCertificateFile.name, rule: "must be set when TLS_KEY_FILE is"))
        default:
            tls = nil
        }
        let procRoot: String? = check(.procRoot, default: "/proc") { isReadableDirectory($0) ? $0 : nil }
        let logLevel: Logger.Level? = check(.logLevel, default: .info) { Logger.Level(rawValue: $0.lowercased()) }

        guard errors.isEmpty, let coefficients, let ratio, let serverCores, let pue, let emission, let modelInput,
            let bindAddress, let port, let interval, let libvirtURI, let procfsDiscovery, let metricsNovaLabels, let authToken,
            let procRoot, let logLevel
        else {
            throw ConfigurationErrors(errors)
        }
        return AgentConfiguration(
            coefficients: coefficients,
            cinergyRatio: ratio,
            serverCores: serverCores,
            pue: pue,
            emissionFactorGramsPerKilowattHour: emission,
            modelInput: modelInput,
            bindAddress: bindAddress,
            port: port,
            sampleIntervalSeconds: interval,
            libvirtURI: libvirtURI,
            procfsDiscovery: procfsDiscovery,
            metricsNovaLabels: metricsNovaLabels,
            authToken: authToken,
            tls: tls,
            procRoot: procRoot,
            logLevel: logLevel
        )
    }

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
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty,
            trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
            let value = Double(trimmed), value.isFinite
        else { return nil }
        return value
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

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    static func isReadableDirectory(_ path: String) -> Bool {
        guard let directory = opendir(path) else { return false }
        closedir(directory)
        return true
    }

    /// Reads the env file: its text, nil when it is absent and not required, or why it cannot be used.
    static func checkEnvFile(_ path: String, required: Bool) -> Result<String?, ConfigurationError> {
        var info = stat()
        if stat(path, &info) != 0 {
            let reason = String(cString: strerror(errno))
            if errno == ENOENT && !required { return .success(nil) }
            return .failure(.unreadableFile(path: path, reason: reason))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return .failure(.unreadableFile(path: path, reason: "not a regular file"))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .failure(.unreadableFile(path: path, reason: String(cString: strerror(errno))))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadableFile(path: path, reason: String(cString: strerror(errno))))
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            if bytes.count > 1 << 20 { return .failure(.unreadableFile(path: path, reason: "larger than 1 MiB")) }
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// Names set in an env file that are not configuration variables.
    static func unknownVariables(inEnvFile contents: String) -> [String] {
        let known = Set(ConfigurationVariable.all.map(\.name))
        var unknown: [String] = []
        for line in contents.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let name = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, !known.contains(name), !unknown.contains(name) { unknown.append(name) }
        }
        return unknown
    }
}
