import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// Faults and churn with real processes and a real libvirtd. Short forms run in `make test`;
/// `make soak` sets `CINERGY_SOAK=1` for the long forms (see docs/RELIABILITY.md).
@Suite("End to end: faults and churn", .serialized)
struct FaultEndToEndTests {
    static let soak = ProcessInfo.processInfo.environment["CINERGY_SOAK"] != nil
    static let prefix = EndToEnd.prefix + "-fault"

    static func entry(_ agent: AgentUnderTest, _ name: String) async -> [String: Any]? {
        await agent.vms().first { $0["name"] as? String == name }
    }

    @Test("churn: domains created and destroyed, several at once; afterwards the registry equals libvirt's list and nothing leaked")
    func churn() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let agent = try AgentUnderTest(env: EndToEnd.libvirtEnv, directory: directory.path)
        let pid = agent.child.pid
        let cycles = Self.soak ? 200 : 24
        let workers = 4

        // Warm up with one cycle so that lazily created state exists before the baseline.
        let janitor = DomainJanitor()
        let warmUp = TestDomain(name: "\(Self.prefix)-churn-warmup", spinning: false)
        janitor.track(warmUp)
        try await warmUp.create(in: directory.path)
        try await agent.waitFor("warm-up domain") { await Self.entry(agent, warmUp.name) != nil }
        await warmUp.destroy()
        try await agent.waitFor("warm-up domain gone") { await Self.entry(agent, warmUp.name) == nil }
        // The agent holds one descriptor per tracked VM (its /proc/PID/stat); other QEMUs on the
        // machine come and go, so descriptors are compared net of the VMs tracked.
        func vmCount() async -> Int {
            ((try? await agent.get("/health"))?.json as? [String: Any])?["vm_count"] as? Int ?? 0
        }
        func netFiles() async -> Int { (ProcessResources.openFiles(pid) ?? 0) - (await vmCount()) }
        let before = (rss: ProcessResources.residentKiB(pid) ?? 0, files: await netFiles(), threads: ProcessResources.threads(pid) ?? 0)

        let start = Date()
        let path = directory.path
        var servedAfterStop = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var late = 0
                    for cycle in stride(from: worker, to: cycles, by: workers) {
                        let domain = TestDomain(name: "\(Self.prefix)-churn-\(cycle)", spinning: false)
                        janitor.track(domain)
                        try await domain.create(in: path)
                        try await agent.waitFor("\(domain.name) up") { await Self.entry(agent, domain.name) != nil }
                        try await Virsh.check(["destroy", domain.name])
                        // Usually gone by the time `virsh destroy` returns, but libvirt may send the
                        // STOPPED event a moment after its reply: a figure, not an assertion. What
                        // must hold is that it leaves promptly (the QEMU has exited; the sampler
                        // notices within one 1 s interval even without the event).
                        if await Self.entry(agent, domain.name) != nil { late += 1 }
                        try await agent.waitFor("\(domain.name) gone", seconds: 5) { await Self.entry(agent, domain.name) == nil }
                    }
                    return late
                }
            }
            for try await late in group { servedAfterStop += late }
        }
        let elapsed = Date().timeIntervalSince(start)

        let libvirt = try await Virsh.runningDomains(prefix: Self.prefix)
        let ours = await agent.vms().compactMap { $0["name"] as? String }.filter { $0.hasPrefix(Self.prefix) }
        #expect(libvirt.isEmpty)
        #expect(ours.isEmpty, "\(ours)")
        // Let a few sampling rounds pass so that closed files and finished tasks are gone.
        try await agent.waitFor("descriptors back") { await netFiles() <= before.files + 2 }
        let after = (rss: ProcessResources.residentKiB(pid) ?? 0, files: await netFiles(), threads: ProcessResources.threads(pid) ?? 0)
        print(
            "churn: \(cycles) cycles by \(workers) workers in \(Int(elapsed)) s; still served just after `virsh destroy` returned: \(servedAfterStop); "
                + "RSS \(before.rss) -> \(after.rss) KiB, descriptors (net of VMs) \(before.files) -> \(after.files), threads \(before.threads) -> \(after.threads)"
        )
        #expect(after.files <= before.files + 2)
        #expect(after.threads <= before.threads + 2)
        #expect(after.rss - before.rss < (Self.soak ? 16 : 8) * 1024, "memory must not grow with every VM")
    }

    @Test("a libvirt domain's QEMU killed outright leaves at once; a paused domain reads 0 % and accrues only its static power")
    func killedAndPaused() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let agent = try AgentUnderTest(env: EndToEnd.libvirtEnv, directory: directory.path)
        let spinner = TestDomain(name: "\(Self.prefix)-pause", vcpus: 2, spinning: true)
        let victim = TestDomain(name: "\(Self.prefix)-sigkill", spinning: false)
        for domain in [spinner, victim] {
            janitor.track(domain)
            try await domain.create(in: directory.path)
        }
        try await agent.waitFor("both with a usage") {
            let vms = await agent.vms()
            return [spinner.name, victim.name].allSatisfy { name in vms.contains { $0["name"] as? String == name && $0["cpu_usage"] is Double } }
        }
        let victimPID = try #require(await Self.entry(agent, victim.name)?["pid"] as? Int)
        kill(pid_t(victimPID), SIGKILL)
        try await agent.waitFor("the killed domain gone") { await Self.entry(agent, victim.name) == nil }
        // libvirt notices a moment later; the agent already agrees with where it ends up.
        try await agent.waitFor("libvirt to see the domain gone") { (try? await Virsh.runningDomains(prefix: Self.prefix)) == [spinner.name] }
        #expect(await Self.entry(agent, victim.name) == nil)

        try await Virsh.check(["suspend", spinner.name])
        try await agent.waitFor("paused, reading 0") {
            let entry = await Self.entry(agent, spinner.name)
            return entry?["state"] as? String == "paused" && entry?["cpu_usage"] as? Double == 0
        }
        // While paused, energy grows by the static share only: f(0) x 2 / 16 = 6.25 W.
        func energyAndTime() async throws -> (Double, String) {
            let (_, json) = try await agent.get("/power?vm=\(spinner.name)")
            let power = json as? [String: Any] ?? [:]
            #expect(power["total_power_watts"] as? Double == 6.25)
            return (power["energy_joules"] as? Double ?? -1, power["sampled_at"] as? String ?? "")
        }
        let (energyBefore, sampledBefore) = try await energyAndTime()
        var last = (energyBefore, sampledBefore)
        var rounds = 0
        // Three new samples take three sampling intervals (1 s each); 60 s is the generous bound.
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while rounds < 3 {
            try #require(ContinuousClock.now < deadline, "3 new samples of the paused VM within 60 s; saw \(rounds)")
            let next = try await energyAndTime()
            if next.1 != last.1 { rounds += 1 }
            last = next
            try await Task.sleep(for: .milliseconds(50))
        }
        let joules = last.0 - energyBefore
        #expect(abs(joules - 6.25 * 3) < 6.25 * 0.5, "3 paused intervals should add about 18.75 J, got \(joules)")
        try await Virsh.check(["resume", spinner.name])
        try await agent.waitFor("running and busy again") {
            let entry = await Self.entry(agent, spinner.name)
            return entry?["state"] as? String == "running" && (entry?["cpu_usage"] as? Double ?? 0) > 30
        }
    }

    @Test("PID reuse for real: a new process under a dead VM's PID is never taken for that VM")
    func realPIDReuse() async throws {
        let lastPID = "/proc/sys/kernel/ns_last_pid"
        try #require(FileManager.default.isWritableFile(atPath: lastPID), "needs root to choose PIDs via \(lastPID)")
        let directory = try TemporaryDirectory()
        let standIn = try StandIn.build(in: directory.path)
        var env = EndToEnd.env
        env["LIBVIRT_URI"] = "none"
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        func spawn(_ name: String, reusing pid: pid_t?) throws -> ChildProcess {
            for _ in 0..<20 {
                if let pid { try String(pid - 1).write(toFile: lastPID, atomically: false, encoding: .utf8) }
                let child = try ChildProcess(
                    name, executable: standIn, arguments: ["-name", "guest=\(name)", "-smp", "1"],
                    environment: ["CINERGY_STANDIN_IDLE": "1"]
                )
                if pid == nil || child.pid == pid { return child }
                child.signal(SIGKILL)
                child.waitUntilExit()
            }
            throw TestFailure("could not get PID \(pid ?? 0) again")
        }
        let first = try spawn("\(Self.prefix)-first", reusing: nil)
        let reusedPID = first.pid
        try await agent.waitFor("the first VM with energy") { (await Self.entry(agent, "\(Self.prefix)-first")?["energy_joules"] as? Double ?? 0) > 0 }
        first.signal(SIGKILL)
        first.waitUntilExit()
        let second = try spawn("\(Self.prefix)-second", reusing: reusedPID)
        #expect(second.pid == reusedPID)
        try await agent.waitFor("the second VM under the same PID") { await Self.entry(agent, "\(Self.prefix)-second") != nil }
        #expect(await Self.entry(agent, "\(Self.prefix)-first") == nil)
        let secondEntry = try #require(await Self.entry(agent, "\(Self.prefix)-second"))
        #expect(secondEntry["pid"] as? Int == Int(reusedPID))
        #expect((secondEntry["energy_joules"] as? Double ?? 1) < 50, "counters start afresh for the new VM")

        // And a process that is not a QEMU under that PID: nothing is served for it.
        second.signal(SIGKILL)
        second.waitUntilExit()
        try await agent.waitFor("the second VM gone") { await Self.entry(agent, "\(Self.prefix)-second") == nil }
        try String(reusedPID - 1).write(toFile: lastPID, atomically: false, encoding: .utf8)
        let sleeper = try ChildProcess("sleep", executable: "/bin/sleep", arguments: ["60"])
        defer { sleeper.signal(SIGKILL) }
        let samplesBefore = (try await agent.get("/health")).json as? [String: Any]
        try await agent.waitFor("a sampling round after the sleeper started") {
            let now = (try? await agent.get("/health"))?.json as? [String: Any]
            return now?["last_sample_at"] as? String != samplesBefore?["last_sample_at"] as? String
        }
        #expect(await agent.vms().filter { $0["pid"] as? Int == Int(reusedPID) }.isEmpty)
    }
}
