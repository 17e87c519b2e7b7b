import CinergyCore
import CinergyLedger
import Foundation
import Logging
import PostgresNIO
import Synchronization
import SystemPackage

@testable import CinergyFleet

/// The throw-away PostgreSQL `make test` starts (scripts/postgres): its URL, the test role's
/// password file and its directory, from the environment. Without them the tests that need it
/// are a recorded skip.
enum TestPostgres {
    static let environment = ProcessInfo.processInfo.environment
    static let urlText = environment["CINERGY_TEST_POSTGRES_URL"]
    static let passwordFile = environment["CINERGY_TEST_POSTGRES_PASSWORD_FILE"]
    static let directory = environment["CINERGY_TEST_POSTGRES_DIR"]
    static var isAvailable: Bool { urlText != nil && passwordFile != nil }

    static var url: FleetDatabaseURL {
        get throws {
            guard let urlText, case .success(let url) = FleetDatabaseURL.parse(urlText) else {
                throw FixtureError("CINERGY_TEST_POSTGRES_URL is missing or not a URL")
            }
            return url
        }
    }

    static var password: FleetPassword {
        get throws {
            guard let passwordFile else { throw FixtureError("CINERGY_TEST_POSTGRES_PASSWORD_FILE is missing") }
            let text = try String(contentsOfFile: passwordFile, encoding: .utf8)
            return FleetPassword(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    static let logger = Logger(label: "test.fleet")

    /// A new, empty database for one test (the test role may create databases), its URL.
    static func freshDatabase() async throws -> FleetDatabaseURL {
        let base = try url
        let name = "cinergy_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await withConnection(to: base) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        var fresh = base
        fresh.database = String(name)
        return fresh
    }

    /// Runs `body` on a connection to `url` as the test role.
    @discardableResult
    static func withConnection<T>(to url: FleetDatabaseURL, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: try password.text, database: url.database, tls: .disable
        )
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let value = try await body(connection)
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// The path of scripts/postgres.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/postgres").path

    /// Runs `scripts/postgres COMMAND DIR` (stop, restart) on the test cluster.
    static func control(_ command: String) throws {
        guard let directory else { throw FixtureError("CINERGY_TEST_POSTGRES_DIR is missing") }
        // posix_spawn and waitpid: Foundation's Process.waitUntilExit did not return here once
        // pg_ctl had started the server (its child left a zombie).
        let arguments = [script, command, directory]
        var pid: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        let spawned = posix_spawn(&pid, script, nil, nil, cArguments, environ)
        guard spawned == 0 else { throw FixtureError("cannot run scripts/postgres: errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else { throw FixtureError("scripts/postgres \(command) exited with status \(status)") }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A real ledger file in a fresh directory, written through ``LedgerStore`` as the agent's flush
/// writes it.
final class TestLedger: Sendable {
    let directory: String
    let store: LedgerStore
    var path: FilePath { store.path }

    init() throws {
        directory = NSTemporaryDirectory() + "cinergy-fleet-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try LedgerStore(path: FilePath(directory + "/ledger.sqlite"))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let modelA = "DC_PUE=1.2\nREG_COEFF=10,1"
    static let modelB = "DC_PUE=1.3\nREG_COEFF=10,1"

    static func identity(_ index: Int) -> VMIdentity {
        let uuid = String(format: "00000000-0000-4000-8000-%012d", index)
        return VMIdentity(
            name: "vm-\(index)", uuid: index % 4 == 3 ? nil : uuid, process: nil, vcpus: 2, source: .libvirt,
            nova: index % 2 == 0 ? NovaInstance(displayName: "vm-\(index)", projectID: "project-\(index % 3)", projectName: "p\(index % 3)") : nil
        )
    }

    /// One flush: `vmCount` VMs, each with `minutes` minutes from `startMinute` (Unix seconds of
    /// a minute), half of them under model B; energies differ by VM and minute.
    func flush(vmCount: Int, startMinute: Int64, minutes: Int, model: String = TestLedger.modelA, seed: Double = 1) throws {
        var batch = LedgerBatch()
        for index in 0..<vmCount {
            var buckets: [LedgerBucketKey: BucketAmount] = [:]
            for minute in 0..<minutes {
                let start = startMinute + Int64(minute * 60)
                let parameters = minute % 2 == 0 ? model : TestLedger.modelB
                let joules = seed * (10 + Double(index) + Double(minute) / 10)
                buckets[LedgerBucketKey(minuteStart: start, modelParameters: parameters)] = BucketAmount(
                    energyJoules: joules, staticJoules: joules / 2, dynamicJoules: joules / 2, carbonGrams: joules / 36_000,
                    runningSeconds: 30, cpuSeconds: 3, reconstructedJoules: 0,
                    embodiedGrams: index % 2 == 0 ? joules / 1000 : nil, attributedJoules: index % 3 == 0 ? joules * 0.8 : nil, attributedSeconds: index % 3 == 0 ? 30 - Double(minute % 2) : 0
                )
            }
            let identity = Self.identity(index)
            batch.entries[identity.ledgerKey] = LedgerBatch.Entry(
                identity: identity, firstSeenUnixSeconds: Double(startMinute), lastSeenUnixSeconds: Double(startMinute) + Double(minutes * 60),
                buckets: buckets
            )
        }
        try store.write(batch)
    }
}

/// What a ledger or the central database holds for one host, in comparable form.
struct Snapshot: Equatable, CustomStringConvertible {
    /// By VM key: name, uuid, project, totals (rounded to 1e-9).
    var vms: [String: [String]] = [:]
    /// By "resolution start vm_key model_digest": the figures.
    var buckets: [String: [String]] = [:]
    /// By digest: parameters, first and last use.
    var modelVersions: [String: [String]] = [:]

    var description: String { "\(vms.count) VMs, \(buckets.count) buckets, \(modelVersions.count) model versions" }

    static func figure(_ value: Double?) -> String {
        value.map { String(format: "%.9g", $0) } ?? "null"
    }

    /// Everything the local ledger holds (every row: after sequence 0, through the counter).
    static func local(_ ledger: TestLedger) throws -> Snapshot {
        let reader = try LedgerChangeReader(path: ledger.path)
        let through = try reader.state().changeSequence
        var snapshot = Snapshot()
        var lastVM: LedgerChangedVM?
        while true {
            let vms = try reader.changedVMs(after: 0, through: through, last: lastVM, limit: 7)
            guard let last = vms.last else { break }
            for vm in vms {
                snapshot.vms[vm.key] = [vm.name, vm.uuid ?? "null", vm.nova?.projectID ?? "null"] + [
                    vm.totals.energyJoules, vm.totals.staticJoules, vm.totals.dynamicJoules, vm.totals.carbonGrams, vm.totals.cpuSeconds,
                    vm.totals.runningSeconds, vm.totals.reconstructedJoules, vm.totals.embodiedGrams, vm.totals.attributedJoules,
                    vm.totals.attributedJoules.map { _ in vm.totals.attributedSeconds },
                ].map { figure($0) }
            }
            lastVM = last
        }
        let digests = try reader.modelVersionDigests()
        for version in try reader.changedModelVersions(after: 0, through: through) {
            snapshot.modelVersions[version.digest] = [version.parameters, figure(version.firstUsedUnixSeconds), figure(version.lastUsedUnixSeconds)]
        }
        for resolution in [BucketResolution.minute, .hour] {
            var lastBucket: LedgerChangedBucket?
            while true {
                let buckets = try reader.changedBuckets(resolution, after: 0, through: through, last: lastBucket, limit: 11)
                guard let last = buckets.last else { break }
                for bucket in buckets {
                    let key = "\(resolution.rawValue) \(bucket.start) \(bucket.vmKey) \(digests[bucket.modelVersionID] ?? "?")"
                    snapshot.buckets[key] = [
                        bucket.energyJoules, bucket.staticJoules, bucket.dynamicJoules, bucket.carbonGrams, bucket.runningSeconds, bucket.cpuSeconds,
                        bucket.reconstructedJoules, bucket.embodiedGrams, bucket.attributedJoules, bucket.attributedSeconds,
                    ].map { figure($0) }
                }
                lastBucket = last
            }
        }
        return snapshot
    }

    /// What the central database holds for `host`.
    static func central(_ url: FleetDatabaseURL, host: String) async throws -> Snapshot {
        try await TestPostgres.withConnection(to: url) { connection in
            var snapshot = Snapshot()
            let logger = TestPostgres.logger
            let vms = try await connection.query(
                """
                SELECT vm_key, name, uuid, nova_project_id, energy_joules, static_joules, dynamic_joules, carbon_grams, cpu_seconds,
                       running_seconds, reconstructed_joules, embodied_grams, attributed_joules, attributed_seconds
                FROM cinergy_vm WHERE host = \(host)
                """, logger: logger
            )
            for try await (key, name, uuid, project, e, s, d, c, cpu, run, rec, emb, att, attSeconds) in vms.decode(
                (String, String, String?, String?, Double, Double, Double, Double, Double, Double, Double, Double?, Double?, Double?).self
            ) {
                snapshot.vms[key] =
                    [name, uuid ?? "null", project ?? "null"] + [e, s, d, c, cpu, run, rec, emb, att, attSeconds].map { figure($0) }
            }
            let versions = try await connection.query(
                "SELECT digest, parameters, first_used, last_used FROM cinergy_model_version WHERE host = \(host)", logger: logger
            )
            for try await (digest, parameters, first, last) in versions.decode((String, String, Double, Double).self) {
                snapshot.modelVersions[digest] = [parameters, figure(first), figure(last)]
            }
            let buckets = try await connection.query(
                """
                SELECT resolution_seconds, start, vm_key, model_version, energy_joules, static_joules, dynamic_joules, carbon_grams,
                       running_seconds, cpu_seconds, reconstructed_joules, embodied_grams, attributed_joules, attributed_seconds
                FROM cinergy_bucket WHERE host = \(host)
                """, logger: logger
            )
            for try await (resolution, start, key, version, e, s, d, c, run, cpu, rec, emb, att, attSeconds) in buckets.decode(
                (Int, Int64, String, String, Double, Double?, Double?, Double, Double, Double?, Double, Double?, Double?, Double?).self
            ) {
                snapshot.buckets["\(resolution) \(start) \(key) \(version)"] =
                    [e, s, d, c, run, cpu, rec, emb, att, attSeconds].map { figure($0) }
            }
            return snapshot
        }
    }
}

extension FleetReplicator {
    /// A replicator of `ledger` to `url` as `host`, rounds driven by the test.
    static func forTest(
        _ ledger: TestLedger, url: FleetDatabaseURL, password: FleetPassword?, host: String, batchRows: Int = 500
    ) -> FleetReplicator {
        let path = ledger.path
        return FleetReplicator(
            configuration: FleetConfiguration(
                url: url, password: password, hostIdentity: host, intervalSeconds: 1, batchRows: batchRows, roundTimeoutSeconds: 60
            ),
            ledgerPath: { path }, logger: TestPostgres.logger
        )
    }
}

/// The replicators of one test, closed at its end however it ends (a connection must be
/// closed before it is released).
final class TestReplicators: Sendable {
    private let made = Mutex<[FleetReplicator]>([])

    func make(_ ledger: TestLedger, url: FleetDatabaseURL, password: FleetPassword?, host: String, batchRows: Int = 500) -> FleetReplicator {
        let replicator = FleetReplicator.forTest(ledger, url: url, password: password, host: host, batchRows: batchRows)
        made.withLock { $0.append(replicator) }
        return replicator
    }

    func closeAll() async {
        for replicator in made.withLock({ $0 }) { await replicator.close() }
    }
}

func withReplicators(_ body: (TestReplicators) async throws -> Void) async throws {
    let replicators = TestReplicators()
    do {
        try await body(replicators)
    } catch {
        await replicators.closeAll()
        throw error
    }
    await replicators.closeAll()
}
