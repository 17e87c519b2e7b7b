@testable import CinergyAgent
import CinergyFleet
import Foundation
import Testing

/// The fleet's variables (issue 20): off by default, the URL's forms, the password from a file,
/// the host identity, and the refusals (exit 78) naming variable, value and rule.
@Suite("Fleet configuration")
struct FleetConfigurationTests {
    static func validate(_ extra: [String: String]) throws(ConfigurationErrors) -> AgentConfiguration {
        let values = ConfigurationTests.valid.merging(["STATE_DIRECTORY": "/var/lib/cinergy"]) { _, new in new }.merging(extra) { _, new in new }
        return try AgentConfiguration.validate(onlineCPUs: 8) { values[$0] }
    }

    static func errors(_ extra: [String: String]) -> [ConfigurationError] {
        do {
            _ = try validate(extra)
            return []
        } catch {
            return error.errors
        }
    }

    @Test("off by default; the host identity defaults to the host's name")
    func defaults() throws {
        let configuration = try Self.validate([:])
        #expect(configuration.fleetDatabaseURL == nil)
        #expect(configuration.fleetConfiguration == nil)
        #expect(configuration.fleetDatabasePassword == nil)
        #expect(configuration.fleetHostIdentity == ProcessInfo.processInfo.hostName || !configuration.fleetHostIdentity.isEmpty)
    }

    @Test("a URL with TLS, a password file and an identity make the replication's settings")
    func valid() throws {
        let file = NSTemporaryDirectory() + "fleet-password-\(UUID().uuidString)"
        try "s3cret pass\nignored\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let configuration = try Self.validate([
            "FLEET_DATABASE_URL": "postgresql://cinergy@[::1]:6543/fleet?sslmode=verify-full", "FLEET_DATABASE_PASSWORD_FILE": file,
            "FLEET_HOST_IDENTITY": "hv-01", "LEDGER_FLUSH_SECONDS": "15",
        ])
        let fleet = try #require(configuration.fleetConfiguration)
        #expect(fleet.url == FleetDatabaseURL(user: "cinergy", host: "::1", port: 6543, database: "fleet", tlsMode: .verifyFull))
        #expect(fleet.password == FleetPassword("s3cret pass"))
        #expect("\(fleet.password!)" == "<password>")
        #expect(fleet.hostIdentity == "hv-01")
        #expect(fleet.intervalSeconds == 15)
        #expect("\(fleet.url)" == "postgres://cinergy@[::1]:6543/fleet?sslmode=verify-full")
    }

    @Test(
        "bad values are refused, naming the variable, the value and the rule",
        arguments: [
            ["FLEET_DATABASE_URL": "postgres://cinergy:secret@db/fleet"],
            ["FLEET_DATABASE_URL": "mysql://cinergy@db/fleet"],
            ["FLEET_DATABASE_URL": "postgres://cinergy@db/fleet?sslmode=always"],
            ["FLEET_DATABASE_URL": "postgres://cinergy@db:99999/fleet"],
            ["FLEET_DATABASE_URL": "postgres://cinergy@db/fleet?sslrootcert=/nonexistent/ca.pem"],
            ["FLEET_DATABASE_PASSWORD_FILE": "/nonexistent/password"],
            ["FLEET_HOST_IDENTITY": String(repeating: "h", count: 256)],
        ]
    )
    func refused(_ values: [String: String]) {
        let errors = Self.errors(values)
        let (name, value) = values.first!
        #expect(errors.count == 1)
        #expect(errors.first?.variable == name)
        #expect(errors.first?.description.contains(name) == true)
        #expect(errors.first?.description.contains(FleetDatabaseURL.redacted(value).prefix(30)) == true)
        #expect(errors.first?.description.contains("must") == true)
        #expect(errors.first?.description.contains("secret") == false)
    }

    @Test("replication needs the ledger: a URL with STATE_DIRECTORY=none is refused")
    func needsTheLedger() {
        let errors = Self.errors(["FLEET_DATABASE_URL": "postgres://cinergy@db/fleet", "STATE_DIRECTORY": "none"])
        #expect(errors.map(\.variable) == ["FLEET_DATABASE_URL"])
        #expect(errors.first?.description.contains("STATE_DIRECTORY is none") == true)
    }
}
