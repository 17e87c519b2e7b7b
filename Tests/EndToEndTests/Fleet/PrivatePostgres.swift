import CinergyTestSupport
import Foundation

/// A throw-away PostgreSQL of one test's own (`scripts/postgres start`), which the test may stop
/// and start again (`scripts/postgres stop`, `restart`: same port, same data) without touching
/// the cluster `make test` shares between suites. Destroyed by ``destroy()`` (call it in a
/// `defer`), else when the value goes away.
final class PrivatePostgres: @unchecked Sendable {
    /// The cluster's directory (scripts/postgres' DIR).
    let directory: String
    /// `postgres://cinergy_test@127.0.0.1:PORT/cinergy_test`.
    let url: String
    /// The test role's password, in a file.
    let passwordFile: String
    private var destroyed = false

    /// The path of scripts/postgres.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/postgres").path

    /// Starts a new cluster (initdb, then the server on a free loopback port).
    static func start() async throws -> PrivatePostgres {
        let (status, output) = try await Command.run(script, ["start"], seconds: 300)
        guard status == 0, let directory = output.split(separator: "\n").last(where: { $0.hasPrefix("/tmp/cinergy-postgres.") }) else {
            throw TestFailure("scripts/postgres start failed (\(status)): \(output)")
        }
        var env: [String: String] = [:]
        for line in try String(contentsOfFile: "\(directory)/env", encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { env[String(parts[0])] = String(parts[1]) }
        }
        guard let url = env["CINERGY_TEST_POSTGRES_URL"], let passwordFile = env["CINERGY_TEST_POSTGRES_PASSWORD_FILE"] else {
            _ = try? await Command.run(script, ["destroy", String(directory)], seconds: 120)
            throw TestFailure("scripts/postgres start wrote no usable env in \(directory): \(env)")
        }
        return PrivatePostgres(directory: String(directory), url: url, passwordFile: passwordFile)
    }

    private init(directory: String, url: String, passwordFile: String) {
        self.directory = directory
        self.url = url
        self.passwordFile = passwordFile
    }

    /// Stops the server (fast shutdown: connections are closed), keeping its port and data.
    func stop() async throws {
        try await control("stop")
    }

    /// Starts the stopped server again, on the same port, with the same data.
    func restart() async throws {
        try await control("restart")
    }

    /// Stops the server if it runs and removes its directory (synchronous: for a `defer`).
    func destroy() {
        guard !destroyed else { return }
        destroyed = true
        if let child = try? ChildProcess("postgres-destroy", executable: Self.script, arguments: ["destroy", directory]) {
            child.waitUntilExit()
        }
    }

    deinit { destroy() }

    private func control(_ command: String) async throws {
        let (status, output) = try await Command.run(Self.script, [command, directory], seconds: 120)
        guard status == 0 else { throw TestFailure("scripts/postgres \(command) \(directory) failed (\(status)): \(output)") }
    }
}
