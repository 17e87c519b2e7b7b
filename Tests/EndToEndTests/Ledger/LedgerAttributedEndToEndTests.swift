import CinergyCore
import CinergyLedger
import CinergyTestSupport
import Foundation
import SystemPackage
import Testing

/// The host meter's share across an agent's absence, the real binary: a stand-in meter process
/// turns the machine's real load into RAPL energy, a spinning stand-in QEMU is metered, the agent
/// is SIGKILLed and started again after a gap. The gap's energy is reconstructed from CPU ticks;
/// no meter read it, so the VM's attributed joules stay the sum of the parts the meter measured,
/// and their seconds fall short of the running seconds by the gap, neither more nor less.
@Suite("End to end: attributed energy across an agent's absence", .serialized)
struct LedgerAttributedEndToEndTests {
    /// The VM's stored totals in the ledger file: running seconds, attributed joules and seconds,
    /// reconstructed joules; nil while it has no row.
    static func totals(_ database: String, name: String) -> (running: Double, attributed: Double?, attributedSeconds: Double, reconstructed: Double)? {
        guard let store = try? LedgerStore(readingOnly: FilePath(database)),
            let key = try? store.allVMsNow().first(where: { $0.name == name })?.key,
            let totals = try? store.accounts()[key]?.totals
        else { return nil }
        return (totals.runningSeconds, totals.attributedJoules, totals.attributedSeconds, totals.reconstructedJoules)
    }

    /// The VM's row of a report over [`from`, `to`) read from the ledger file, as `cinergy report` reads it.
    static func reported(_ database: String, name: String, from: Double, to: Double) throws -> PeriodAmount? {
        let store = try LedgerStore(readingOnly: FilePath(database))
        let report = try store.reportNow(period: LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: to), by: .vm)
        return report.rows.first { $0.vm == name }?.amount
    }

    @Test("SIGKILL, a gap, a restart: attributed joules kept and summed, their seconds short of the running seconds by the gap")
    func acrossAbsence() async throws {
        let started = Date().timeIntervalSince1970
        let directory = try TemporaryDirectory()
        let sysfs = directory.path + "/sys"
        let energyFile = try StandInMeter.makeRAPLTree(at: sysfs)
        let meter = try ChildProcess(
            "\(EndToEnd.prefix)-meter", executable: try StandInMeter.build(in: directory.path),
            arguments: ["rapl", energyFile, String(StandInMeter.maxEnergyRangeMicrojoules)]
        )
        defer { meter.signal(SIGKILL) }
        let name = "\(EndToEnd.prefix)-attr-gap"
        let spinner = try HostEndToEndTests.spinner(in: directory.path, name: name)
        defer { spinner.signal(SIGKILL) }
        let database = directory.path + "/state/ledger.sqlite"
        let env = EndToEnd.env.merging([
            "REG_COEFF": "40,0.9,-0.002", "MODEL_INPUT": "host_percent", "SERVER_CORES": "2",
            "HOST_METER": "rapl", "SYSFS_ROOT": sysfs, "SAMPLE_INTERVAL": "2",
            "STATE_DIRECTORY": directory.path + "/state", "LEDGER_FLUSH_SECONDS": "1",
        ]) { $1 }

        // The first agent meters the VM for a while.
        let first = try AgentUnderTest(env: env, directory: directory.path)
        defer { first.child.signal(SIGKILL) }
        try await first.waitFor("20 s of the VM's metered share in the ledger", seconds: 120) {
            (Self.totals(database, name: name)?.attributedSeconds ?? 0) >= 20
        }
        first.child.signal(SIGKILL)
        _ = await first.child.waitForExit(seconds: 30)
        let killed = Date()
        let before = try #require(Self.totals(database, name: name))
        let beforeUnmetered = before.running - before.attributedSeconds
        #expect(before.attributed != nil && before.attributedSeconds >= 20)
        // Running but unmetered before the kill: only until the meter's first reading with the VM.
        #expect(beforeUnmetered >= -1 && beforeUnmetered < 30, "\(before)")

        // A gap of at least 20 s with no agent.
        try await Self.wait("a gap of 20 s", seconds: 60) { Date().timeIntervalSince(killed) >= 20 }
        let second = try AgentUnderTest(env: env, directory: directory.path)
        defer { second.child.signal(SIGKILL) }
        let restarted = Date()
        try await second.waitFor("the VM metered again after the restart", seconds: 120) {
            guard let now = Self.totals(database, name: name) else { return false }
            return now.attributedSeconds >= before.attributedSeconds + 20
        }
        second.child.signal(SIGTERM)
        #expect(await second.child.waitForExit(seconds: 60) == 0)
        let after = try #require(Self.totals(database, name: name))
        let gap = restarted.timeIntervalSince(killed)
        // The gap was reconstructed (its energy and running time counted), and never metered: the
        // unmetered seconds grew by the gap, at least the time no agent ran, at most that plus the
        // second agent's start-up, its first meter reading and the first agent's last flush.
        #expect(after.reconstructed > 0, "\(after)")
        #expect(after.running >= before.running + gap, "\(before) → \(after), gap \(gap) s")
        let grown = (after.running - after.attributedSeconds) - beforeUnmetered
        #expect(grown >= gap - 1 && grown <= gap + 30, "unmetered seconds grew by \(grown) s over a gap of \(gap) s")
        // Summed, never nulled by the unmetered part: at least what the first agent stored.
        let attributed = try #require(after.attributed)
        #expect(attributed > (before.attributed ?? 0))
        // At most the stand-in's whole curve (110 W and its noise) over the metered seconds.
        #expect(attributed <= 111 * 1.1 * after.attributedSeconds, "\(attributed) J over \(after.attributedSeconds) s")

        // Reports over the whole, read as `cinergy report` reads the file: on the hour grid (hour
        // buckets) and from a cut minute (minute buckets): the same figures as the VM's totals.
        let end = Date().timeIntervalSince1970 + 120
        let hours = try #require(try Self.reported(database, name: name, from: (started / 3600).rounded(.down) * 3600 - 3600, to: (end / 3600).rounded(.up) * 3600))
        let minutes = try #require(try Self.reported(database, name: name, from: started - 90.5, to: end))
        for amount in [hours, minutes] {
            #expect(abs((amount.attributedJoules ?? -1) - attributed) < 1e-6 * attributed, "\(amount)")
            #expect(abs(amount.attributedSeconds - after.attributedSeconds) < 1e-6 * after.attributedSeconds, "\(amount)")
            #expect(abs(amount.runningSeconds - after.running) < 1e-6 * after.running, "\(amount)")
        }
        print("attributed across an absence: \(attributed) J over \(after.attributedSeconds) s of \(after.running) s running; gap \(gap) s")
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass.
    static func wait(_ what: String, seconds: Double, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out after \(seconds) s waiting for \(what)")
    }
}
