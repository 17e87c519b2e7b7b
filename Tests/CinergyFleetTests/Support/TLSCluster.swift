import Foundation

@testable import CinergyFleet

/// A PostgreSQL of its own for one test, with TLS on (scripts/postgres start CERT KEY): its server
/// certificate (for `subjectAltName`, by default 127.0.0.1, where it listens) signed by a CA made with openssl in a temporary directory, and a
/// second CA that signed nothing of it. Destroyed when the value goes away.
final class TLSCluster {
    let directory: String
    let clusterDirectory: String
    /// The PEM of the CA that signed the server's certificate.
    let caPath: String
    /// The PEM of another CA.
    let otherCAPath: String
    let url: FleetDatabaseURL
    let password: FleetPassword

    static var canRun: Bool {
        TestPostgres.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }

    init(subjectAltName: String = "IP:127.0.0.1") throws {
        directory = NSTemporaryDirectory() + "cinergy-fleet-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        caPath = directory + "/ca.pem"
        otherCAPath = directory + "/other-ca.pem"
        let openssl = "/usr/bin/openssl"
        for name in ["ca", "other-ca"] {
            try Self.run(
                openssl,
                [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem",
                    "-days", "2", "-subj", "/CN=Cinergy test \(name)",
                ]
            )
        }
        try "subjectAltName=\(subjectAltName)\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
            .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try Self.run(
            openssl,
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/server.key", "-out", directory + "/server.csr", "-subj", "/CN=127.0.0.1"]
        )
        try Self.run(
            openssl,
            [
                "x509", "-req", "-in", directory + "/server.csr", "-CA", caPath, "-CAkey", directory + "/ca.key", "-CAcreateserial",
                "-out", directory + "/server.crt", "-days", "2", "-extfile", directory + "/server.ext",
            ]
        )
        let output = try Self.run(TestPostgres.script, ["start", directory + "/server.crt", directory + "/server.key"])
        clusterDirectory = output.trimmingCharacters(in: .whitespacesAndNewlines)
        var env: [String: String] = [:]
        for line in try String(contentsOfFile: clusterDirectory + "/env", encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { env[String(parts[0])] = String(parts[1]) }
        }
        guard let text = env["CINERGY_TEST_POSTGRES_URL"], case .success(let url) = FleetDatabaseURL.parse(text) else {
            throw FixtureError("scripts/postgres start printed no usable env: \(env)")
        }
        self.url = url
        password = FleetPassword(
            try String(contentsOfFile: clusterDirectory + "/password", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    deinit {
        _ = try? Self.run(TestPostgres.script, ["destroy", clusterDirectory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `executable` with `arguments` (posix_spawn and waitpid, its output to a file: the
    /// server pg_ctl starts keeps a pipe open); its standard output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let log = NSTemporaryDirectory() + "cinergy-fleet-run-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cArguments = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw FixtureError("cannot run \(executable): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw FixtureError("\(executable) \(arguments.joined(separator: " ")) exited with status \(status)") }
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }
}
