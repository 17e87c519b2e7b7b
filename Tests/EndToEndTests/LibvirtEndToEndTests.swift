import CinergySystem
import CinergyTestSupport
import Foundation
import Testing

/// The built agent against the real libvirtd on `qemu:///system` and real QEMU TCG domains.
/// `make test` installs and starts libvirtd. Test domains carry the run's unique prefix and are
/// destroyed when each test ends.
@Suite("End to end: real libvirtd and TCG domains", .serialized)
struct LibvirtEndToEndTests {
    static func entry(_ agent: AgentUnderTest, _ name: String) async -> [String: Any]? {
        await agent.vms().first { $0["name"] as? String == name }
    }

    @Test("domain events: a started domain is served at once with its UUID and vCPUs, a destroyed one leaves at once")
    func events() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        // No procfs scan and a sample interval far beyond the test: only events can change /vms.
        var env = EndToEnd.libvirtEnv
        env["PROCFS_DISCOVERY"] = "false"
        env["SAMPLE_INTERVAL"] = "3600"
        let agent = try AgentUnderTest(env: env, directory: directory.path)
        try await agent.waitFor("libvirt connected") {
            guard let (_, json) = try? await agent.get("/health"), let health = json as? [String: Any],
                let sources = health["sources"] as? [String: Any], let libvirt = sources["libvirt"] as? [String: Any]
            else { return false }
            return libvirt["available"] as? Bool == true
        }

        let domain = TestDomain(name: EndToEnd.uniqueDomainName("events"), vcpus: 2, spinning: false)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        let created = Kernel.monotonicSeconds()
        try await agent.waitFor("\(domain.name) in /vms") { await Self.entry(agent, domain.name) != nil }
        let visible = Kernel.monotonicSeconds() - created
        let entry = try #require(await Self.entry(agent, domain.name))
        #expect(entry["uuid"] as? String == domain.uuid)
        #expect(entry["vcpus"] as? Int == 2)
        #expect(entry["source"] as? String == "libvirt")
        #expect(entry["state"] as? String == "running")
        #expect(entry["pid"] is Int, "the QEMU PID comes from libvirt's pid file")

        try await Virsh.check(["suspend", domain.name])
        try await agent.waitFor("\(domain.name) paused") { await Self.entry(agent, domain.name)?["state"] as? String == "paused" }
        try await Virsh.check(["resume", domain.name])
        try await agent.waitFor("\(domain.name) running") { await Self.entry(agent, domain.name)?["state"] as? String == "running" }

        try await Virsh.check(["destroy", domain.name])
        let destroyed = Kernel.monotonicSeconds()
        try await agent.waitFor("\(domain.name) gone from /vms") { await Self.entry(agent, domain.name) == nil }
        let gone = Kernel.monotonicSeconds() - destroyed
        // Seen by a client polling every 50 ms; a figure, not an assertion (see docs/BENCHMARKS.md).
        print("libvirt event path: visible \(Int(visible * 1000)) ms after `virsh create` returned, gone \(Int(gone * 1000)) ms after `virsh destroy`")

        // SIGTERM with a live libvirt connection: a clean exit.
        agent.child.signal(SIGTERM)
        let exitStatus = await agent.child.waitForExit(seconds: 30)
        #expect(exitStatus == 0, "agent log:\n\(agent.log)")
    }

    @Test("a spinning domain's cpu_usage matches libvirt's own cpu.time over the same window")
    func usageMatchesLibvirt() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let agent = try AgentUnderTest(env: EndToEnd.libvirtEnv, directory: directory.path)
        let domain = TestDomain(name: EndToEnd.uniqueDomainName("spin"), vcpus: 1, spinning: true)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        try await agent.waitFor("\(domain.name) with a usage") { await Self.entry(agent, domain.name)?["cpu_usage"] is Double }
        try await UsageCheck.compare(agent: agent, name: domain.name, reference: "libvirt's cpu.time") {
            try await Virsh.cpuTimeNanoseconds(domain.name) / 1e9
        }
    }

    @Test("a vCPU hot-plug shows in the vCPU count")
    func vcpuHotplug() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let agent = try AgentUnderTest(env: EndToEnd.libvirtEnv, directory: directory.path)
        let domain = TestDomain(name: EndToEnd.uniqueDomainName("hotplug"), vcpus: 1, maximumVcpus: 4, spinning: false)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        try await agent.waitFor("\(domain.name) with 1 vCPU") { await Self.entry(agent, domain.name)?["vcpus"] as? Int == 1 }
        try await Virsh.check(["setvcpus", domain.name, "2", "--live"])
        try await agent.waitFor("\(domain.name) with 2 vCPUs and a usage") {
            let entry = await Self.entry(agent, domain.name)
            return entry?["vcpus"] as? Int == 2 && entry?["cpu_usage"] is Double
        }
        let (_, json) = try await agent.get("/power?vm=\(domain.name)")
        #expect((json as? [String: Any])?["vm_cores"] as? Int == 2)
    }

    @Test("a QEMU started by hand beside libvirt's domains is tracked via procfs, and nothing is duplicated")
    func handStartedBeside() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let agent = try AgentUnderTest(env: EndToEnd.libvirtEnv, directory: directory.path)
        let domain = TestDomain(name: EndToEnd.uniqueDomainName("managed"), vcpus: 2, spinning: false)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        let handName = EndToEnd.uniqueDomainName("by-hand")
        let qemu = try #require(Kernel.which("qemu-system-x86_64"))
        let hand = try ChildProcess(
            handName, executable: qemu,
            arguments: [
                "-accel", "tcg", "-name", "guest=\(handName),debug-threads=on", "-smp", "3", "-m", "32", "-display", "none",
                "-nodefaults", "-no-user-config",
            ]
        )
        try await agent.waitFor("both VMs with a usage") {
            let vms = await agent.vms()
            return [domain.name, handName].allSatisfy { name in vms.contains { $0["name"] as? String == name && $0["cpu_usage"] is Double } }
        }
        // A few sampling rounds later, still exactly one entry each.
        let firstSample = await Self.entry(agent, handName)?["sampled_at"] as? String
        try await agent.waitFor("two more samples") {
            guard let now = await Self.entry(agent, handName)?["sampled_at"] as? String else { return false }
            return now != firstSample
        }
        let ours = await agent.vms().filter { ($0["name"] as? String)?.hasPrefix(EndToEnd.libvirtPrefix) == true }
        #expect(ours.count == 2, "\(ours)")
        #expect(ours.first { $0["name"] as? String == domain.name }?["source"] as? String == "libvirt")
        let handEntry = ours.first { $0["name"] as? String == handName }
        #expect(handEntry?["source"] as? String == "procfs")
        #expect(handEntry?["vcpus"] as? Int == 3)
        #expect(handEntry?["pid"] as? Int == Int(hand.pid))
    }

    @Test("OpenStack: Nova metadata in the domain XML shows in /vms and, when enabled, as metric labels; vm= takes the UUID")
    func novaIdentity() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let agent = try AgentUnderTest(env: EndToEnd.libvirtEnv.merging(["METRICS_NOVA_LABELS": "true"]) { $1 }, directory: directory.path)
        // Nova names the domain instance-XXXXXXXX; the domain UUID is the instance id.
        let instance = "\(EndToEnd.libvirtPrefix)-instance-0000002a"
        let nova = """
            <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
              <nova:package version="27.1.0"/>
              <nova:name>shop-frontend</nova:name>
              <nova:creationTime>2026-11-28 10:00:00</nova:creationTime>
              <nova:flavor name="m1.tiny"><nova:memory>32</nova:memory><nova:disk>1</nova:disk><nova:swap>0</nova:swap>\
            <nova:ephemeral>0</nova:ephemeral><nova:vcpus>1</nova:vcpus></nova:flavor>
              <nova:owner>
                <nova:user uuid="9f1c2d3e4b5a69788796a5b4c3d2e1f0">alice</nova:user>
                <nova:project uuid="3a2b1c0d9e8f77665544332211009988">retail</nova:project>
              </nova:owner>
              <nova:root type="image" uuid="6b8e3c1a-0000-4000-8000-1234567890ab"/>
            </nova:instance>
            """
        let domain = TestDomain(name: instance, spinning: false, metadata: nova)
        janitor.track(domain)
        try await domain.create(in: directory.path)
        try await agent.waitFor("\(instance) with a usage") { await Self.entry(agent, instance)?["cpu_usage"] is Double }
        let entry = try #require(await Self.entry(agent, instance))
        let novaEntry = try #require(entry["nova"] as? [String: Any])
        #expect(novaEntry["name"] as? String == "shop-frontend")
        #expect(novaEntry["project_id"] as? String == "3a2b1c0d9e8f77665544332211009988")
        #expect(novaEntry["project_name"] as? String == "retail")
        #expect(novaEntry["user_name"] as? String == "alice")
        #expect(novaEntry["flavor"] as? String == "m1.tiny")

        let (status, json) = try await agent.get("/power?vm=\(domain.uuid.uppercased())")
        #expect(status == 200)
        #expect((json as? [String: Any])?["vm"] as? String == instance)

        let (_, metrics) = try await agent.getText("/metrics")
        #expect(metrics.contains("cinergy_vm_power_watts{vm=\"\(instance)\",uuid=\"\(domain.uuid)\",nova_name=\"shop-frontend\","))
        #expect(metrics.contains("nova_project_name=\"retail\",nova_flavor=\"m1.tiny\"}"))
    }

    @Test("libvirtd killed and restarted, with domains destroyed and started while it was down: the registry converges to libvirt's list")
    func libvirtdRestart() async throws {
        try #require(await Virsh.isUp(), "libvirtd is not running on qemu:///system: run `make test`")
        let restarts = FaultEndToEndTests.soak ? 5 : 2
        let directory = try TemporaryDirectory()
        let janitor = DomainJanitor()
        let agent = try AgentUnderTest(env: EndToEnd.libvirtEnv, directory: directory.path)
        let survivor = TestDomain(name: EndToEnd.uniqueDomainName("survivor"), spinning: false)
        janitor.track(survivor)
        try await survivor.create(in: directory.path)
        try await agent.waitFor("the survivor's energy counter running") {
            (await Self.entry(agent, survivor.name)?["energy_joules"] as? Double ?? 0) > 0
        }
        // The survivor's energy counter never goes backwards, through every restart and resync.
        var lastEnergy = 0.0
        var energyWentBack = false
        func watchEnergy() async {
            guard let energy = await Self.entry(agent, survivor.name)?["energy_joules"] as? Double else { return }
            if energy < lastEnergy { energyWentBack = true }
            lastEnergy = energy
        }
        func libvirtAvailable() async -> Bool? {
            guard let (_, json) = try? await agent.get("/health"), let health = json as? [String: Any],
                let sources = health["sources"] as? [String: Any], let libvirt = sources["libvirt"] as? [String: Any]
            else { return nil }
            return libvirt["available"] as? Bool
        }

        for round in 1...restarts {
            let victim = TestDomain(name: EndToEnd.uniqueDomainName("victim\(round)"), spinning: false)
            janitor.track(victim)
            try await victim.create(in: directory.path)
            try await agent.waitFor("round \(round): the victim from libvirt") {
                let entry = await Self.entry(agent, victim.name)
                return entry?["source"] as? String == "libvirt" && entry?["pid"] is Int
            }
            let victimPID = try #require(await Self.entry(agent, victim.name)?["pid"] as? Int)

            // libvirtd dies hard; the agent keeps serving and says libvirt is gone.
            let daemons = try #require(LibvirtDaemon.pids(), "no libvirtd process")
            let daemonArguments = LibvirtDaemon.arguments(of: daemons[0])
            for pid in daemons { kill(pid, SIGKILL) }
            try await agent.waitFor("round \(round): libvirt reported unavailable") {
                await watchEnergy()
                return await libvirtAvailable() == false
            }
            // Meanwhile a domain's QEMU dies too, and a new domain starts as soon as libvirtd is back.
            kill(pid_t(victimPID), SIGKILL)
            try await LibvirtDaemon.start(arguments: daemonArguments)
            let newcomer = TestDomain(name: EndToEnd.uniqueDomainName("newcomer\(round)"), spinning: false)
            janitor.track(newcomer)
            try await newcomer.create(in: directory.path)

            try await agent.waitFor("round \(round): the registry to equal libvirt's list", seconds: 60) {
                await watchEnergy()
                guard await libvirtAvailable() == true, let libvirt = try? await Virsh.runningDomains(prefix: EndToEnd.libvirtPrefix) else { return false }
                let vms = await agent.vms().filter { ($0["name"] as? String)?.hasPrefix(EndToEnd.libvirtPrefix) == true }
                let names = Set(vms.compactMap { $0["name"] as? String })
                return names == libvirt && vms.count == libvirt.count && vms.allSatisfy { $0["source"] as? String == "libvirt" }
            }
            let names = Set(await agent.vms().compactMap { $0["name"] as? String }.filter { $0.hasPrefix(EndToEnd.libvirtPrefix) })
            #expect(names.contains(survivor.name) && names.contains(newcomer.name) && !names.contains(victim.name))
            await newcomer.destroy()
        }
        await watchEnergy()
        #expect(!energyWentBack)
        #expect(lastEnergy > 0)
        #expect(agent.child.isRunning)
        #expect(agent.log.components(separatedBy: "libvirt connection lost").count == restarts + 1, "logged once per outage:\n\(agent.log)")
    }
}

/// The system libvirtd, as the tests stop and start it.
enum LibvirtDaemon {
    static func pids() -> [pid_t]? {
        let pids = ProcFSList.pids(named: "libvirtd")
        return pids.isEmpty ? nil : pids
    }

    /// The arguments a running libvirtd was started with (its configuration file among them).
    static func arguments(of pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return ["--daemon"] }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.dropFirst()
        return arguments.isEmpty ? ["--daemon"] : Array(arguments)
    }

    /// Starts libvirtd again with `arguments` (as `make libvirtd` did) and waits until it answers.
    static func start(arguments: [String]) async throws {
        // A killed daemon's pid file lock goes with it; retry while the old one is being reaped.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if pids() == nil {
                let daemon = try ChildProcess("libvirtd", executable: "/usr/sbin/libvirtd", arguments: arguments)
                _ = await daemon.waitForExit(seconds: 30)
            }
            if await Virsh.isUp() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("libvirtd did not come back")
    }
}

/// Processes by executable name, from /proc.
enum ProcFSList {
    static func pids(named name: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8)
            else { return nil }
            return comm.trimmingCharacters(in: .whitespacesAndNewlines) == name ? pid : nil
        }
    }
}
