import CinergyTestSupport
import Foundation

/// What the fleet's end-to-end tests share: the throw-away PostgreSQL's URL and password file
/// (from scripts/postgres' env), reads of `/health`'s `fleet`, of the central and local bucket
/// rows, and `cinergy report`.
enum FleetFixture {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool {
        environment["CINERGY_TEST_POSTGRES_URL"] != nil && environment["CINERGY_TEST_POSTGRES_PASSWORD_FILE"] != nil
    }

    static var url: String {
        get throws {
            guard let url = environment["CINERGY_TEST_POSTGRES_URL"] else { throw TestFailure("CINERGY_TEST_POSTGRES_URL is missing") }
            return url
        }
    }

    static var passwordFile: String {
        get throws {
            guard let path = environment["CINERGY_TEST_POSTGRES_PASSWORD_FILE"] else {
                throw TestFailure("CINERGY_TEST_POSTGRES_PASSWORD_FILE is missing")
            }
            return path
        }
    }

    /// `/health`'s `fleet` object (empty while the agent does not answer).
    static func fleet(_ agent: AgentUnderTest) async -> [String: Any] {
        guard let (_, json) = try? await agent.get("/health") else { return [:] }
        return (json as? [String: Any])?["fleet"] as? [String: Any] ?? [:]
    }

    /// Every bucket row of the ledger file at `path`, by "resolution start vm_key digest" (the
    /// central key; the digest is the SHA-256 of the model version's parameters): energy,
    /// running seconds and carbon. Read with Python's sqlite3, another process, once the agent has
    /// stopped: while it runs, the minute still running is held apart (`held_minute`), not in them.
    static func localBuckets(_ path: String) throws -> [String: [Double]] {
        let script = """
            import hashlib, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for resolution, table in ((60, 'minute_bucket'), (3600, 'hour_bucket')):
                for start, key, parameters, energy, running, carbon in db.execute(
                        'SELECT b.start, v.key, m.parameters, b.energy_joules, b.running_seconds, b.carbon_grams FROM ' + table +
                        ' AS b JOIN vm AS v ON v.id = b.vm_id JOIN model_version AS m ON m.id = b.model_version_id'):
                    print('%d %d %s %s|%r|%r|%r' % (resolution, start, key, hashlib.sha256(parameters.encode()).hexdigest(), energy, running, carbon))
            """
        return parse(try output("/usr/bin/python3", ["-c", script, path]))
    }

    /// Every VM of the ledger file at `path` by key: its totals (energy, running seconds, carbon).
    static func localVMs(_ path: String) throws -> [String: [Double]] {
        let script = """
            import sqlite3, sys
            for key, energy, running, carbon in sqlite3.connect(sys.argv[1]).execute(
                    'SELECT key, energy_joules, running_seconds, carbon_grams FROM vm'):
                print('%s|%r|%r|%r' % (key, energy, running, carbon))
            """
        return parse(try output("/usr/bin/python3", ["-c", script, path]))
    }

    /// How many rows the ledger file at `path` holds in the tables it replicates (VMs, model
    /// versions, minute and hour buckets).
    static func localRowCount(_ path: String) throws -> Int {
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            print(sum(db.execute('SELECT count(*) FROM ' + t).fetchone()[0] for t in ('vm', 'model_version', 'minute_bucket', 'hour_bucket')))
            """
        guard let count = Int(try output("/usr/bin/python3", ["-c", script, path]).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("cannot count the rows of \(path)")
        }
        return count
    }

    /// Every central VM row of `host`, as ``localVMs(_:)`` reads them (in `cluster`, else in the
    /// shared one).
    static func centralVMs(_ host: String, in cluster: PrivatePostgres? = nil) async throws -> [String: [Double]] {
        try await central(
            "SELECT vm_key || '|' || energy_joules || '|' || running_seconds || '|' || carbon_grams FROM cinergy_vm WHERE host = '\(quoted(host))'",
            in: cluster
        )
    }

    static func quoted(_ text: String) -> String { text.replacingOccurrences(of: "'", with: "''") }

    /// The rows `sql` gives in the central database (psql, one line each), parsed as ``parse(_:)``:
    /// `cluster`'s, else the shared one's.
    static func central(_ sql: String, in cluster: PrivatePostgres? = nil) async throws -> [String: [Double]] {
        let password = try String(contentsOfFile: try cluster?.passwordFile ?? passwordFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (status, text) = try await Command.run(
            "/usr/bin/psql", ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, try cluster?.url ?? url],
            environment: ["PGPASSWORD": password],
            seconds: 120
        )
        guard status == 0 else { throw TestFailure("psql failed (\(status)): \(text)") }
        return parse(text)
    }

    /// Every central bucket row of `host`, as ``localBuckets(_:)`` keys them, read with psql (in
    /// `cluster`, else in the shared one).
    static func centralBuckets(_ host: String, in cluster: PrivatePostgres? = nil) async throws -> [String: [Double]] {
        try await central(
            """
            SELECT resolution_seconds || ' ' || start || ' ' || vm_key || ' ' || model_version || '|' || energy_joules || '|' ||
                   running_seconds || '|' || carbon_grams FROM cinergy_bucket WHERE host = '\(quoted(host))'
            """,
            in: cluster
        )
    }

    static func parse(_ text: String) -> [String: [Double]] {
        var rows: [String: [Double]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "|")
            guard fields.count == 4 else { continue }
            rows[String(fields[0])] = fields.dropFirst().map { Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }
        }
        return rows
    }

    static func output(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("\(executable) exited with \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The `energy_joules` of the report rows of the VM named `name`.
    static func joules(_ rows: [[String: Any]], _ name: String) -> [Double] {
        rows.filter { $0["vm"] as? String == name }.compactMap { $0["energy_joules"] as? Double }
    }

    /// `cinergy report ARGUMENTS`' JSON document.
    static func report(_ arguments: [String]) async throws -> [String: Any] {
        let (status, output) = try await Command.run(AgentUnderTest.binary, ["report"] + arguments, seconds: 120)
        guard status == 0 else { throw TestFailure("cinergy report \(arguments.joined(separator: " ")) exited with \(status): \(output)") }
        guard let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            throw TestFailure("cinergy report printed no JSON object: \(output)")
        }
        return json
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with milliseconds.
    static var fractional: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
