@testable import CinergyAgent
import CinergyCore
import Foundation
import Logging
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let valid: [String: String] = [
        "REG_COEFF": "50,0.5,0.001", "CINERGY_RATIO": "0.75", "DC_PUE": "1.3", "EMISSION_FACTOR": "50",
    ]

    static func validate(_ values: [String: String]) throws(ConfigurationErrors) -> AgentConfiguration {
        try AgentConfiguration.validate(onlineCPUs: 6) { values[$0] }
    }

    @Test("required values and defaults")
    func defaults() throws {
        let configuration = try Self.validate(Self.valid)
        #expect(configuration.coefficients == [50, 0.5, 0.001])
        #expect(configuration.cinergyRatio == 0.75)
        #expect(configuration.serverCores == 6)
        #expect(configuration.port == 8080)
        #expect(configuration.bindAddress == "127.0.0.1")
        #expect(configuration.sampleIntervalSeconds == 1)
        #expect(configuration.modelInput == .vmPercent)
        #expect(configuration.procRoot == "/proc")
        #expect(configuration.logLevel == .info)
    }

    @Test("every variable accepts its valid forms")
    func validForms() throws {
        var values = Self.valid
        values["REG_COEFF"] = " 1.5e2 , -0.25,0 "
        values["CINERGY_RATIO"] = "1"
        values["SERVER_CORES"] = "64"
        values["DC_PUE"] = "\"1.0\""
        values["EMISSION_FACTOR"] = "0"
        values["MODEL_INPUT"] = "host_percent"
        values["BIND_ADDRESS"] = "::1"
        values["PORT"] = "65535"
        values["SAMPLE_INTERVAL"] = "0.5"
        values["PROC_ROOT"] = "/proc"
        values["LOG_LEVEL"] = "DEBUG"
        let configuration = try Self.validate(values)
        #expect(configuration.coefficients == [150, -0.25, 0])
        #expect(configuration.serverCores == 64)
        #expect(configuration.pue == 1)
        #expect(configuration.modelInput == .hostPercent)
        #expect(configuration.bindAddress == "::1")
        #expect(configuration.port == 65535)
        #expect(configuration.sampleIntervalSeconds == 0.5)
        #expect(configuration.logLevel == .debug)
    }

    struct BadValue: Sendable, CustomTestStringConvertible {
        let variable: String
        let value: String
        var testDescription: String { "\(variable)='\(value)'" }
    }

    static let badValues: [BadValue] = [
        ("REG_COEFF", ["", "abc", "1,,2", "1,nan", "inf", "1,2,", "1e400", "0x10", "1;2"]),
        ("CINERGY_RATIO", ["", "-0.1", "1.01", "nan", "half", "1e999"]),
        ("SERVER_CORES", ["", "0", "-4", "2.5", "many", "99999999999999999999", "65537"]),
        ("DC_PUE", ["", "0.99", "-1", "NaN", "infinity"]),
        ("EMISSION_FACTOR", ["", "-0.001", "inf", "lots"]),
        ("MODEL_INPUT", ["", "vm", "percent", "VM_PERCENT "]),
        ("BIND_ADDRESS", ["", "localhost", "256.1.1.1", "127.0.0.1:80", "0.0.0.0/0"]),
        ("PORT", ["", "0", "65536", "-1", "80.5", "http", "99999999999999999999999"]),
        ("SAMPLE_INTERVAL", ["", "0", "-1", "0.01", "3601", "nan", "1s", "1e308"]),
        ("PROC_ROOT", ["", "/nonexistent/cinergy"]),
        ("LOG_LEVEL", ["", "verbose", "5"]),
        // The ledger (issue 13): `none` is the only way to turn it off; a relative or empty path is an error.
        ("STATE_DIRECTORY", ["", "var/lib/cinergy", "off", "./state"]),
        ("LEDGER_FLUSH_SECONDS", ["", "0", "0.5", "3601", "nan", "10s"]),
        ("LEDGER_MINUTE_RETENTION_HOURS", ["", "0", "8785", "-1", "two days"]),
        ("LEDGER_HOUR_RETENTION_DAYS", ["", "0", "36601", "inf"]),
        ("EMISSION_FACTOR_FILE", ["", "factors.csv"]),
        ("EMISSION_FACTOR_FILE_MAX_AGE", ["", "59", "31622401", "1h"]),
        // The whole carbon footprint (issue 19).
        ("STATIC_SHARE", ["", "vcpus", "max", "server cores"]),
        ("SERVER_EMBODIED_EMISSIONS", ["", "-1", "1000001", "nan", "970kg", "inf"]),
        ("SERVER_LIFETIME", ["", "0", "0.05", "51", "-5", "5y", "nan"]),
        ("SUSTAINABILITY_DATACENTER", ["", "dc\u{1}1", String(repeating: "d", count: 129)]),
        ("SUSTAINABILITY_COMPONENT", ["", "tab\there"]),
    ].flatMap { variable, values in values.map { BadValue(variable: variable, value: $0) } }

    @Test("a bad value is named with the value and the rule", arguments: badValues)
    func badValue(_ bad: BadValue) {
        var values = Self.valid
        values[bad.variable] = bad.value
        #expect {
            try Self.validate(values)
        } throws: { error in
            guard let errors = error as? ConfigurationErrors, errors.errors.count == 1,
                case .invalid(let variable, let value, let rule) = errors.errors[0]
            else { return false }
            let expectedRule = ConfigurationVariable.all.first { $0.name == bad.variable }?.rule
            return variable == bad.variable && value == bad.value.trimmingCharacters(in: .whitespaces)
                && rule == expectedRule && errors.description.contains(bad.variable)
        }
    }

    @Test("every missing required variable is reported at once")
    func missing() {
        #expect {
            try Self.validate([:])
        } throws: { error in
            let errors = (error as? ConfigurationErrors)?.errors ?? []
            let names = errors.compactMap { error -> String? in
                if case .missing(let variable, _) = error { return variable }
                return nil
            }
            return names == ["REG_COEFF", "CINERGY_RATIO", "DC_PUE", "EMISSION_FACTOR"]
        }
    }

    @Test("command line overrides environment overrides the env file")
    func precedence() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/test.env"
        try """
        # comment
        REG_COEFF=1,2
        CINERGY_RATIO=0.1
        DC_PUE=1.1
        EMISSION_FACTOR=10
        PORT=1111
        SAMPLE_INTERVAL=2
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (configuration, warnings) = try await AgentConfiguration.load(
            from: .init(
                overrides: ["PORT": "3333"],
                environment: ["PORT": "2222", "CINERGY_RATIO": "0.2"],
                envFilePath: file,
                envFileRequired: true
            )
        )
        #expect(configuration.port == 3333)
        #expect(configuration.cinergyRatio == 0.2)
        #expect(configuration.sampleIntervalSeconds == 2)
        #expect(configuration.coefficients == [1, 2])
        #expect(warnings.isEmpty)
    }

    @Test("a missing default .env is fine when the environment has everything")
    func noEnvFile() async throws {
        let (configuration, _) = try await AgentConfiguration.load(
            from: .init(environment: Self.valid, envFilePath: "/nonexistent/cinergy/.env", envFileRequired: false)
        )
        #expect(configuration.pue == 1.3)
    }

    @Test("an env file named on the command line must exist and be readable")
    func unreadableEnvFile() async throws {
        let directory = try TemporaryDirectory()
        for path in ["/nonexistent/cinergy.env", directory.path] {
            await #expect {
                try await AgentConfiguration.load(from: .init(environment: Self.valid, envFilePath: path, envFileRequired: true))
            } throws: { error in
                guard let errors = error as? ConfigurationErrors, case .unreadableFile(let named, _) = errors.errors.first else {
                    return false
                }
                return named == path && errors.description.contains(path)
            }
        }
    }

    @Test("unknown variables in the env file are named in a warning")
    func unknownVariable() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/typo.env"
        try "REG_COEFF=1\nCINERGY_RATIOO=0.5\nCINERGY_RATIO=0.5\nDC_PUE=1\nEMISSION_FACTOR=1\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let (_, warnings) = try await AgentConfiguration.load(from: .init(environment: [:], envFilePath: file, envFileRequired: true))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("CINERGY_RATIOO") == true)
    }

    @Test("AUTH_TOKEN_FILE: the token is read from the file; missing, empty, short or unreadable files are refused")
    func authTokenFile() throws {
        let directory = try TemporaryDirectory()
        let good = directory.path + "/token"
        try "  0123456789abcdef-token\n".write(toFile: good, atomically: true, encoding: .utf8)
        var values = Self.valid
        values["AUTH_TOKEN_FILE"] = good
        let configuration = try Self.validate(values)
        #expect(configuration.authToken == BearerToken("0123456789abcdef-token"))
        let short = directory.path + "/short"
        try "short".write(toFile: short, atomically: true, encoding: .utf8)
        let spaced = directory.path + "/spaced"
        try "0123456789 abcdef token".write(toFile: spaced, atomically: true, encoding: .utf8)
        for path in [directory.path + "/absent", short, spaced, directory.path, ""] {
            values["AUTH_TOKEN_FILE"] = path
            #expect(throws: ConfigurationErrors.self, "\(path)") { try Self.validate(values) }
        }
    }

    @Test("TLS files: both or neither, and real PEM")
    func tlsFiles() throws {
        let directory = try TemporaryDirectory()
        let garbage = directory.path + "/garbage.pem"
        try "not a certificate".write(toFile: garbage, atomically: true, encoding: .utf8)
        var values = Self.valid
        values["TLS_CERTIFICATE_FILE"] = garbage
        #expect {
            try Self.validate(values)
        } throws: { error in
            let errors = (error as? ConfigurationErrors)?.errors ?? []
            return errors.contains(.invalid(variable: "TLS_CERTIFICATE_FILE", value: garbage, rule: ConfigurationVariable.tlsCertificateFile.rule))
                && errors.description.contains("TLS_KEY_FILE")
        }
        values["TLS_CERTIFICATE_FILE"] = nil
        values["TLS_KEY_FILE"] = garbage
        #expect(throws: ConfigurationErrors.self) { try Self.validate(values) }
    }

    @Test("the shipped dotenv is valid and has no unknown variables")
    func shippedDotenv() async throws {
        let dotenv = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../dotenv").path
        let (configuration, warnings) = try await AgentConfiguration.load(
            from: .init(environment: [:], envFilePath: dotenv, envFileRequired: true)
        )
        #expect(warnings.isEmpty)
        #expect(configuration.bindAddress == "127.0.0.1")
        #expect(configuration.port == 8080)
    }
}

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("cinergy-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension ConfigurationTests {
    @Test("STATE_DIRECTORY: /var/lib/cinergy by default, `none` (any case) turns the ledger off")
    func stateDirectory() throws {
        #expect(try Self.validate(Self.valid).stateDirectory == "/var/lib/cinergy")
        var values = Self.valid
        values["STATE_DIRECTORY"] = "NONE"
        #expect(try Self.validate(values).stateDirectory == nil)
        values["STATE_DIRECTORY"] = "/srv/cinergy"
        let configuration = try Self.validate(values)
        #expect(configuration.stateDirectory == "/srv/cinergy")
        #expect(configuration.ledgerFlushSeconds == 10)
    }
}
