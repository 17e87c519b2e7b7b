import CinergyCore
@testable import CinergyLedger
import Foundation
import GRDB
import SystemPackage
import Testing

/// The accounts and the ledger together on a real SQLite file: takeover without double count,
/// reconstruction across an absence, the first interval from a QEMU's start, a stepped wall clock,
/// provenance, and a randomised run of starts, kills, stops and takeovers.
@Suite("Ledger accounts", .serialized)
struct LedgerAccountsTests {
    static let start = 1_796_083_200.0  // 2026-12-01T00:00:00Z
    /// f(x) = 1 + 0.01 x W, ratio 1, one server core, 100 g/kWh: a 1-vCPU VM at 50 % draws 1 W
    /// static + 0.5 W dynamic.
    static let accounting = EnergyAccounting(
        power: PowerModel(polynomial: Polynomial(coefficients: [1, 0.01]), cinergyRatio: 1, serverCores: 1, input: .vmPercent),
        carbon: CarbonModel(pue: 1, emissionFactorGramsPerKilowattHour: 100)
    )
    static let watts = 1.5
    static let process = ProcessIdentity(pid: 4242, startTimeTicks: 77)
    static let vm = VMIdentity(name: "a", uuid: "u-a", process: process, vcpus: 1, source: .procfs)
    /// The stand-in's cumulative CPU ticks at `t` (50 % of one CPU since `start`, 100 ticks/s).
    static func ticks(_ t: Double) -> UInt64 { UInt64(((t - start) * 50).rounded()) }

    /// One agent: its registry (with its accounts) and its ledger on `directory`.
    struct Agent {
        let registry: VMRegistry
        let ledger: Ledger
        var baselined = false

        init(_ directory: TemporaryDirectory, clock: ManualClock, emissionFactors: EmissionFactorFile? = nil) {
            let accounts = Accounts(
                accounting: LedgerAccountsTests.accounting, emissionFactors: emissionFactors, ticksPerSecond: 100,
                startUnixSeconds: clock.now
            )
            accounts.setModelParameters(ModelVersion.canonicalText(ModelVersion.parameters(of: LedgerAccountsTests.accounting, factorFile: nil)))
            registry = VMRegistry(accounts: accounts)
            registry.reconcile(source: .procfs, observed: [LedgerAccountsTests.vm], nowUnixSeconds: clock.now)
            ledger = Ledger(
                configuration: LedgerConfiguration(stateDirectory: directory.filePath, flushIntervalSeconds: 10),
                registry: registry, logger: Fixtures.logger, clock: { clock.now }
            )
        }

        /// The sampler's round at `t`: a baseline the first time, else a one-second sample.
        mutating func sample(at t: Double, processStart: Double = LedgerAccountsTests.start - 1000) {
            let statistics = RoundStatistics(finishedAtUnixSeconds: t, durationSeconds: 0, vmCount: 1)
            if !baselined {
                baselined = true
                let reading = ProcessReading(process: LedgerAccountsTests.process, cpuTicks: LedgerAccountsTests.ticks(t), unixSeconds: t)
                registry.record([], baselines: [ProcessBaseline(reading: reading, processStartUnixSeconds: processStart)], statistics: statistics)
            } else {
                let sample = UsageSample(cpuUsagePercent: 50, sampledAtUnixSeconds: t, intervalSeconds: 1, cpuTicks: LedgerAccountsTests.ticks(t))
                registry.record([(LedgerAccountsTests.process, sample)], statistics: statistics)
            }
        }
    }

    static func stored(_ directory: TemporaryDirectory) throws -> StoredTotals {
        let store = try LedgerStore(path: FilePath(directory.path + "/ledger.sqlite"))
        let account = try store.accounts()["u-a"]?.totals ?? BucketAmount()
        let buckets = try store.queue.read { db in
            try Double.fetchOne(db, sql: "SELECT sum(energy_joules) FROM minute_bucket") ?? 0
        }
        return StoredTotals(energy: account.energyJoules, reconstructed: account.reconstructedJoules, minuteBuckets: buckets, account: account)
    }

    struct StoredTotals {
        var energy: Double
        var reconstructed: Double
        var minuteBuckets: Double
        var account: BucketAmount
    }

    @Test("two agents on one directory, the holder hangs then exits, the other takes over: each second counted once")
    func takeover() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        var first = Agent(directory, clock: clock)
        var second = Agent(directory, clock: clock)
        first.ledger.flushNow()
        second.ledger.flushNow()
        #expect(first.ledger.status().state == .ok)
        #expect(second.ledger.status().state == .locked)
        for second_ in 0...40 {
            let t = Self.start + Double(second_)
            clock.set(t)
            first.sample(at: t)
            second.sample(at: t)
            // The first flushes every 10 s until 20 s, then hangs, and exits at 25 s.
            if second_ % 10 == 0, second_ <= 20 { first.ledger.flushNow() }
            if second_ == 25 { first.ledger.closeNow() }
            if second_ % 10 == 0 { second.ledger.flushNow() }
        }
        #expect(second.ledger.status().state == .ok)
        let stored = try Self.stored(directory)
        let truth = 40 * Self.watts
        print("takeover: stored \(stored.energy) J, buckets \(stored.minuteBuckets) J, true \(truth) J")
        #expect(abs(stored.energy - truth) < 1e-6)
        #expect(abs(stored.minuteBuckets - truth) < 1e-6)
        // What the second agent counted while locked out is dropped at the takeover (30 s), and
        // the time since the holder's last checkpoint (20 s) counted once from the process's
        // ticks: marked reconstructed.
        #expect(abs(stored.reconstructed - 10 * Self.watts) < 1e-6)
        // The live counter of the agent that took over is the stored account.
        #expect(abs((second.registry.records().first?.energyJoules ?? 0) - truth) < 1e-6)
        #expect(abs(stored.account.staticJoules - 40) < 1e-6)
        #expect(abs(stored.account.dynamicJoules - 20) < 1e-6)
        #expect(abs(stored.account.cpuSeconds - 20) < 1e-6)
    }

    @Test("killed after a flush, restarted 270 s later: the gap is reconstructed from the QEMU's CPU ticks, nothing lost")
    func reconstruction() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        do {
            var agent = Agent(directory, clock: clock)
            agent.ledger.flushNow()
            for s in 0...35 {
                clock.set(Self.start + Double(s))
                agent.sample(at: clock.now)
                if s % 10 == 0 { agent.ledger.flushNow() }
            }
            // SIGKILL at 35 s: the 5 s since the flush at 30 s are not written.
            agent.ledger.closeNow()
        }
        clock.set(Self.start + 300)
        var agent = Agent(directory, clock: clock)
        agent.ledger.flushNow()
        for s in 300...310 {
            clock.set(Self.start + Double(s))
            agent.sample(at: clock.now)
        }
        agent.ledger.flushNow()
        let stored = try Self.stored(directory)
        print("reconstruction: stored \(stored.energy) J (\(stored.reconstructed) J reconstructed), true \(310 * Self.watts) J")
        #expect(abs(stored.energy - 310 * Self.watts) < 1e-6)
        #expect(abs(stored.reconstructed - 270 * Self.watts) < 1e-6)
        #expect(abs(stored.minuteBuckets - 310 * Self.watts) < 1e-6)
    }

    @Test("after a reboot (another boot id) a checkpoint is not bridged")
    func otherBoot() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock(Self.start)
        do {
            var agent = Agent(directory, clock: clock)
            for s in 0...30 {
                clock.set(Self.start + Double(s))
                agent.sample(at: clock.now)
                if s % 10 == 0 { agent.ledger.flushNow() }
            }
            agent.ledger.closeNow()
        }
        let store = try LedgerStore(path: FilePath(directory.path + "/ledger.sqlite"))
        try store.queue.write { db in try db.execute(sql: "UPDATE ledger_state SET boot_id = 'another-boot'") }
        clock.set(Self.start + 300)
        var agent = Agent(directory, clock: clock)
        agent.ledger.flushNow()
        for s in 300...310 {
            clock.set(Self.start + Double(s))
            agent.sample(at: clock.now)
        }
        agent.ledger.flushNow()
        let stored = try Self.stored(directory)
        #expect(abs(stored.energy - 40 * Self.watts) < 1e-6)
        #expect(stored.reconstructed == 0)
    }

    @Test("a QEMU that starts while the agent runs is counted from its start: one shorter than a sample interval too")
    func shortVM() throws {
        let accounts = Accounts(accounting: Self.accounting, ticksPerSecond: 100, startUnixSeconds: Self.start)
        let registry = VMRegistry(accounts: accounts)
        registry.reconcile(source: .procfs, observed: [Self.vm], nowUnixSeconds: Self.start + 1)
        // Started at 0.6 s, first read at 1 s having used 0.2 s of CPU (50 % of 0.4 s), then gone.
        let reading = ProcessReading(process: Self.process, cpuTicks: 20, unixSeconds: Self.start + 1)
        registry.record(
            [], baselines: [ProcessBaseline(reading: reading, processStartUnixSeconds: Self.start + 0.6)],
            statistics: RoundStatistics(finishedAtUnixSeconds: Self.start + 1, durationSeconds: 0, vmCount: 1)
        )
        let totals = try #require(accounts.totals("u-a"))
        #expect(abs(totals.energyJoules - 0.4 * Self.watts) < 1e-6)  // Unix seconds near 1.8e9: 1e-7 s resolution
        #expect(abs(totals.cpuSeconds - 0.2) < 1e-6)
        #expect(totals.reconstructedJoules == 0)
        // One that started before the agent (and with no ledger flush after its start) is not.
        let other = Accounts(accounting: Self.accounting, ticksPerSecond: 100, startUnixSeconds: Self.start + 0.8)
        other.baseline(key: "u-a", identity: Self.vm, reading: reading, processStartUnixSeconds: Self.start + 0.6, hostCPU: nil, hostLoadPercent: nil)
        #expect(other.totals("u-a")?.energyJoules ?? 0 == 0)
    }

    @Test("a wall clock stepped forward by an hour neither inflates running time nor spreads a sample over the step")
    func clockStep() throws {
        let accounts = Accounts(accounting: Self.accounting, ticksPerSecond: 100, startUnixSeconds: Self.start)
        var t = Self.start
        for i in 1...20 {
            t += i == 11 ? 3601 : 1
            accounts.record([Accounts.Sampled(key: "u-a", identity: Self.vm, process: Self.process, sample: UsageSample(cpuUsagePercent: 50, sampledAtUnixSeconds: t, intervalSeconds: 1))])
        }
        let totals = try #require(accounts.totals("u-a"))
        #expect(abs(totals.runningSeconds - 20) < 1e-9)
        #expect(abs(totals.energyJoules - 20 * Self.watts) < 1e-9)
        let batch = accounts.takePending()
        let buckets = try #require(batch.entries["u-a"]?.buckets)
        #expect(buckets.values.allSatisfy { $0.amount.runningSeconds <= 60 + 1e-9 })
        #expect(abs(buckets.values.reduce(0) { $0 + $1.amount.runningSeconds } - 20) < 1e-9)
        // Only the minutes that hold samples: none in the hour stepped over.
        #expect(buckets.count <= 4)
    }

    @Test("a sample spreads over its own interval: minute buckets exact to the sample")
    func perSampleSpread() throws {
        let accounts = Accounts(accounting: Self.accounting, ticksPerSecond: 100, startUnixSeconds: Self.start)
        // A 4 s sample ending 1 s into the next minute: 3 s in the first minute, 1 s in the next.
        accounts.record([Accounts.Sampled(key: "u-a", identity: Self.vm, process: Self.process, sample: UsageSample(cpuUsagePercent: 50, sampledAtUnixSeconds: Self.start + 61, intervalSeconds: 4))])
        let buckets = try #require(accounts.takePending().entries["u-a"]?.buckets)
        let byMinute = Dictionary(uniqueKeysWithValues: buckets.map { ($0.key.minuteStart, $0.value.amount.energyJoules) })
        #expect(abs((byMinute[Int64(Self.start)] ?? 0) - 3 * Self.watts) < 1e-9)
        #expect(abs((byMinute[Int64(Self.start) + 60] ?? 0) - 1 * Self.watts) < 1e-9)
    }

    @Test("a VM found by the procfs scan, then reported by libvirt under its UUID, keeps what was counted")
    func libvirtUpsertKeepsCounters() throws {
        let accounts = Accounts(accounting: Self.accounting, ticksPerSecond: 100, startUnixSeconds: Self.start)
        let registry = VMRegistry(accounts: accounts)
        // libvirt knows the domain before its PID; the procfs scan finds the QEMU without a UUID.
        registry.upsert(VMIdentity(name: "a", uuid: "u-a", process: nil, vcpus: 1, source: .libvirt), nowUnixSeconds: Self.start)
        let scanned = VMIdentity(name: "a", uuid: nil, process: Self.process, vcpus: 1, source: .procfs)
        registry.reconcile(source: .procfs, observed: [scanned], nowUnixSeconds: Self.start)
        for i in 1...10 {
            let sample = UsageSample(cpuUsagePercent: 50, sampledAtUnixSeconds: Self.start + Double(i), intervalSeconds: 1)
            registry.record([(Self.process, sample)], statistics: RoundStatistics(finishedAtUnixSeconds: Self.start + Double(i), durationSeconds: 0, vmCount: 1))
        }
        // libvirt now reports the domain's PID: the procfs entry is replaced by the libvirt one.
        registry.upsert(VMIdentity(name: "a", uuid: "u-a", process: Self.process, vcpus: 1, source: .libvirt), nowUnixSeconds: Self.start + 10)
        #expect(registry.records().count == 1)
        #expect(abs((registry.records().first?.energyJoules ?? 0) - 10 * Self.watts) < 1e-9)
    }

    @Test("a new factor file content is a new model version; buckets name the version in force when sampled")
    func provenance() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/factors.csv"
        try "start,gco2eq_per_kwh\n2026-11-30T00:00:00Z,100\n".write(toFile: path, atomically: true, encoding: .utf8)
        let file = EmissionFactorFile(path: FilePath(path), lastRowMaxAgeSeconds: 1e9)
        file.reload()
        let clock = ManualClock(Self.start)
        var agent = Agent(directory, clock: clock, emissionFactors: file)
        let firstText = agent.registry.accounts.useModelVersion(factorFile: file)
        agent.ledger.flushNow()
        for s in 0...10 {
            clock.set(Self.start + Double(s))
            agent.sample(at: clock.now)
        }
        try "start,gco2eq_per_kwh\n2026-11-30T00:00:00Z,300\n".write(toFile: path, atomically: true, encoding: .utf8)
        file.reload()
        let secondText = agent.registry.accounts.useModelVersion(factorFile: file)
        #expect(firstText != secondText)
        for s in 11...20 {
            clock.set(Self.start + Double(s))
            agent.sample(at: clock.now)
        }
        agent.ledger.flushNow()
        let store = try #require(agent.ledger.store)
        let versions = try store.modelVersions()
        let texts = versions.map(\.canonicalText)
        #expect(texts.contains(firstText) && texts.contains(secondText))
        // The SHA-256 recorded is the file's (as sha256sum computes it).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = String(output.prefix(64))
        let second = try #require(versions.first { $0.canonicalText == secondText })
        #expect(second.parameters.first { $0.name == "EMISSION_FACTOR_FILE_SHA256" }?.value == expected)
        #expect(second.parameters.first { $0.name == "EMISSION_FACTOR_FILE" }?.value == path)
        let perVersion = try store.queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT v.parameters, sum(b.energy_joules), sum(b.carbon_grams) FROM minute_bucket b JOIN model_version v ON v.id = b.model_version_id GROUP BY 1"
            ).map { ($0[0] as String, $0[1] as Double, $0[2] as Double) }
        }
        let firstRow = try #require(perVersion.first { $0.0 == firstText })
        let secondRow = try #require(perVersion.first { $0.0 == secondText })
        #expect(abs(firstRow.1 - 10 * Self.watts) < 1e-9)
        #expect(abs(secondRow.1 - 10 * Self.watts) < 1e-9)
        // 300 g/kWh against 100: three times the carbon per joule.
        #expect(abs(secondRow.2 / firstRow.2 - 3) < 1e-9)
    }

    /// SplitMix64: a seeded generator, so that a failing sequence can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("a randomised run of starts, SIGTERMs, SIGKILLs, hangs and takeovers: the stored energy is the true integral", arguments: [1, 2, 3, 4, 5])
    func randomised(seed: UInt64) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var random = SeededGenerator(state: seed)
        let clock = ManualClock(Self.start)
        struct Running {
            var agent: Agent
            var startedAt: Int
            var hungUntil: Int?
        }
        var agents: [Running] = []
        var firstBaseline: Double?
        var events: [String] = []
        let duration = 600
        for s in 0...duration {
            let t = Self.start + Double(s)
            clock.set(t)
            // Events.
            let roll = Double.random(in: 0..<1, using: &random)
            // The first agent starts with the run (and writes its first checkpoint at once): the
            // stored account begins there.
            if s == 0 || (agents.isEmpty ? roll < 0.1 : roll < 0.04), agents.count < 3 {
                agents.append(Running(agent: Agent(directory, clock: clock), startedAt: s))
                events.append("\(s): start")
            } else if !agents.isEmpty, roll > 0.97 {
                let index = Int.random(in: 0..<agents.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0:
                    agents[index].agent.ledger.closeNow()
                    agents.remove(at: index)
                    events.append("\(s): SIGKILL")
                case 1:
                    if agents[index].hungUntil == nil {
                        agents[index].agent.ledger.flushNow()
                        events.append("\(s): SIGTERM (\(agents[index].agent.ledger.status().state))")
                    } else {
                        events.append("\(s): SIGTERM to a hung agent")
                    }
                    agents[index].agent.ledger.closeNow()
                    agents.remove(at: index)
                default:
                    agents[index].hungUntil = s + Int.random(in: 5...40, using: &random)
                    events.append("\(s): hang")
                }
            }
            // A hung agent that recovers does not: it is killed by the operator.
            for index in agents.indices.reversed() where (agents[index].hungUntil ?? .max) <= s {
                agents[index].agent.ledger.closeNow()
                agents.remove(at: index)
                events.append("\(s): hung agent killed")
            }
            for index in agents.indices where agents[index].hungUntil == nil {
                if !agents[index].agent.baselined, firstBaseline == nil { firstBaseline = t }
                agents[index].agent.sample(at: t)
                if (s - agents[index].startedAt) % 10 == 0 { agents[index].agent.ledger.flushNow() }
            }
        }
        // The end: one agent runs 20 s more and stops with SIGTERM; the others are killed.
        for running in agents { running.agent.ledger.closeNow() }
        var last = Agent(directory, clock: clock)
        if firstBaseline == nil { firstBaseline = clock.now }
        for s in (duration + 1)...(duration + 20) {
            clock.set(Self.start + Double(s))
            last.sample(at: clock.now)
            if s % 10 == 0 { last.ledger.flushNow() }
        }
        last.ledger.flushNow()
        #expect(last.ledger.status().state == .ok)
        let stored = try Self.stored(directory)
        let truth = (clock.now - (firstBaseline ?? clock.now)) * Self.watts
        print("randomised seed \(seed): stored \(stored.energy) J (\(stored.reconstructed) J reconstructed), true \(truth) J; \(events.joined(separator: ", "))")
        #expect(stored.energy <= truth + 1e-6, "seed \(seed): \(events)")
        #expect(stored.energy >= truth - 1e-6, "seed \(seed): \(events)")
        #expect(abs(stored.minuteBuckets - stored.energy) < 1e-6)
    }
}
