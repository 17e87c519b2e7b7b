import CinergyCore
import CinergyLedger
import CinergySystem
import CinergyTestSupport
import Foundation
import SystemPackage
import Testing

/// What the ledger's end-to-end tests share: stand-in QEMUs with fixed UUIDs, agents on one state
/// directory, and reads of a VM's counters.
enum LedgerFixture {
    /// The stand-in burning one core: 4 vCPUs under `EndToEnd.env` (16 server cores)
    /// gives 50 × 4 / 16 + (f(100) − 50) × 0.75 = 57.5 W.
    static let busyWatts = 57.5

    static func uuid(_ n: Int) -> String {
        "0c1e5a0e-0000-4000-b000-\(String(format: "%012x", Int.random(in: 0..<(1 << 40)) * 16 + n))"
    }

    /// A stand-in QEMU named `name` with `-uuid uuid`; busy unless `idle`.
    static func standIn(
        _ name: String, uuid: String, executable: String, idle: Bool = false, lifeMilliseconds: Int? = nil
    ) throws -> ChildProcess {
        try ChildProcess(
            name,
            executable: executable,
            arguments: [
                "-name", "guest=\(name),debug-threads=on", "-S", "-machine", "pc-i440fx-7.2,usb=off", "-accel", "tcg", "-m", "64",
                "-smp", "sockets=2,cores=2,threads=1", "-uuid", uuid, "-display", "none", "-no-user-config", "-nodefaults",
            ],
            environment: idle ? ["CINERGY_STANDIN_IDLE": "1"] : lifeMilliseconds.map { ["CINERGY_STANDIN_LIFE_MS": "\($0)"] } ?? [:]
        )
    }

    /// The agent's env with the ledger in `stateDirectory`, flushing every `flushSeconds`.
    static func env(stateDirectory: String, flushSeconds: Int, extra: [String: String] = [:]) -> [String: String] {
        var env = EndToEnd.env
        env["LOG_LEVEL"] = "info"
        env["STATE_DIRECTORY"] = stateDirectory
        env["LEDGER_FLUSH_SECONDS"] = String(flushSeconds)
        env.merge(extra) { $1 }
        return env
    }

    /// A subdirectory of `directory` for one agent's env file and log.
    static func run(_ n: Int, in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/run-\(n)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// `/carbon`'s JSON for `vm`, nil while the agent does not serve it.
    static func carbon(_ agent: AgentUnderTest, _ vm: String) async -> [String: Any]? {
        guard let (status, json) = try? await agent.get("/carbon?vm=\(vm)"), status == 200 else { return nil }
        return json as? [String: Any]
    }

    /// The VM's `energy_joules` (what /metrics' counter shows too), nil while it is not served.
    static func energy(_ agent: AgentUnderTest, _ vm: String) async -> Double? {
        await carbon(agent, vm)?["energy_joules"] as? Double
    }

    /// `/health`'s `ledger` object.
    static func ledger(_ agent: AgentUnderTest) async -> [String: Any] {
        guard let (_, json) = try? await agent.get("/health") else { return [:] }
        return (json as? [String: Any])?["ledger"] as? [String: Any] ?? [:]
    }

    /// Waits until the ledger has flushed twice more (so what was counted before is written).
    static func waitForFlushes(_ agent: AgentUnderTest, seconds: Double = 60) async throws {
        var seen: Set<String> = []
        try await agent.waitFor("two more ledger flushes", seconds: seconds) {
            if let flushed = await ledger(agent)["last_flush_at"] as? String { seen.insert(flushed) }
            return seen.count >= 3
        }
    }

    /// The energy `/report` gives `vm` over the whole test, in joules.
    static func reported(_ agent: AgentUnderTest, _ vm: String, from: String) async throws -> Double? {
        let to = ISO8601DateFormatter().string(from: Date().addingTimeInterval(120))
        let (status, json) = try await agent.get("/report?from=\(from)&to=\(to)")
        guard status == 200, let rows = (json as? [String: Any])?["rows"] as? [[String: Any]] else { return nil }
        return rows.first { $0["vm"] as? String == vm }?["energy_joules"] as? Double
    }

    /// Every VM's stored account in the ledger file at `path`, read as `cinergy report` reads it:
    /// read-only, beside the running agent, the minute it holds included.
    static func storedAccounts(_ path: String) throws -> [String: LedgerStoredAccount] {
        try LedgerStore(readingOnly: FilePath(path)).accounts()
    }

    /// The VM's cumulative joules in the ledger file at `path`.
    static func storedJoules(_ path: String, key: String) throws -> Double? {
        try storedAccounts(path)[key]?.totals.energyJoules
    }

    /// The VM's attributed joules (its share of the host meter's energy, issue 18) in the ledger
    /// file at `path`, by VM name; nil while none is stored.
    static func storedAttributedJoules(_ path: String, name: String) throws -> Double? {
        let store = try LedgerStore(readingOnly: FilePath(path))
        guard let key = try store.allVMsNow().first(where: { $0.name == name })?.key else { return nil }
        return try store.accounts()[key]?.totals.attributedJoules
    }

    /// The VM's stored account in the ledger file at `path` (energy, static, dynamic, CPU, running
    /// and reconstructed figures and its checkpoint's ticks and time); nil while it has no checkpoint.
    static func storedAccount(_ path: String, key: String) throws -> StoredAccount? {
        guard let account = try storedAccounts(path)[key], let checkpoint = account.checkpoint else { return nil }
        let totals = account.totals
        return StoredAccount(
            energy: totals.energyJoules, staticJoules: totals.staticJoules, dynamicJoules: totals.dynamicJoules,
            cpuSeconds: totals.cpuSeconds, runningSeconds: totals.runningSeconds, reconstructed: totals.reconstructedJoules,
            checkpointTicks: Double(checkpoint.cpuTicks), checkpointUnix: checkpoint.unixSeconds
        )
    }

    /// A VM's stored account, as ``storedAccount(_:key:)`` reads it.
    struct StoredAccount {
        var energy, staticJoules, dynamicJoules, cpuSeconds, runningSeconds, reconstructed, checkpointTicks, checkpointUnix: Double
    }

    /// Runs `command` with `arguments` and returns its exit status.
    @discardableResult
    static func shell(_ command: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A tmpfs mounted for one test (root only), unmounted when the value goes away.
final class TmpfsMount {
    let path: String

    init(at path: String, options: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let status = try LedgerFixture.shell("/bin/mount", ["-t", "tmpfs", "-o", options, "cinergy-e2e-tmpfs", path])
        guard status == 0 else { throw TestFailure("mount -t tmpfs -o \(options) \(path) failed (\(status)); the test needs root") }
    }

    deinit {
        _ = try? LedgerFixture.shell("/bin/umount", ["-l", path])
    }
}
