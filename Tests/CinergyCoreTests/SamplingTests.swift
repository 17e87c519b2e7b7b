import CinergyCore
import Testing

@Suite("Sampling rounds over a fixture procfs tree")
struct SamplingTests {
    /// A monotonic clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        var seconds = 0.0
        func read() -> Double { seconds }
    }

    @Test("usage is CPU ticks over elapsed time, in percent of one CPU; none before one interval")
    func usage() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 50, arguments: ["qemu-system-x86_64", "-name", "busy", "-smp", "2"], cpuTicks: 1000, startTime: 77)
        let registry = VMRegistry()
        let procfs = ProcFS(root: proc.path)
        var collector = SampleCollector(registry: registry, procfs: procfs, discovery: ProcfsDiscovery(procfs: procfs), ticksPerSecond: 100)
        let clock = ManualClock()

        collector.runRound(monotonic: clock.read, unixNow: 1000)
        #expect(registry.records().map(\.name) == ["busy"])
        #expect(registry.records()[0].usage == nil)

        clock.seconds = 2
        try proc.setStat(pid: 50, cpuTicks: 1300, startTime: 77)  // 300 ticks = 3 s of CPU in 2 s
        collector.runRound(monotonic: clock.read, unixNow: 1002)
        let usage = try #require(registry.records()[0].usage)
        #expect(usage.cpuUsagePercent == 150)
        #expect(usage.intervalSeconds == 2)
        #expect(usage.sampledAtUnixSeconds == 1002)
    }

    @Test("a VM whose process exits leaves the registry in the next round")
    func exit() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 60, arguments: ["qemu-system-x86_64", "-name", "short"], startTime: 5)
        let registry = VMRegistry()
        let procfs = ProcFS(root: proc.path)
        var collector = SampleCollector(registry: registry, procfs: procfs, discovery: ProcfsDiscovery(procfs: procfs))
        collector.runRound()
        #expect(registry.records().count == 1)
        try proc.removeProcess(pid: 60)
        let result = collector.runRound()
        #expect(registry.records().isEmpty)
        #expect(result.changes.removed.map(\.name) + result.exited.map(\.name) == ["short"])
    }

    @Test("a zombie (exited, not yet reaped) leaves the registry")
    func zombie() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 65, arguments: ["qemu-system-x86_64", "-name", "undead"], startTime: 5)
        let registry = VMRegistry()
        let procfs = ProcFS(root: proc.path)
        var collector = SampleCollector(registry: registry, procfs: procfs, discovery: nil)
        registry.upsert(
            VMIdentity(name: "undead", uuid: nil, process: ProcessIdentity(pid: 65, startTimeTicks: 5), vcpus: 1, source: .libvirt),
            nowUnixSeconds: 0
        )
        collector.runRound()
        #expect(registry.records().count == 1)
        try proc.setStat(pid: 65, state: "Z", cpuTicks: 0, startTime: 5)
        collector.runRound()
        #expect(registry.records().isEmpty)
    }

    @Test("a reused PID is never mistaken for the old VM, even without a rescan")
    func pidReuse() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 70, arguments: ["qemu-system-x86_64", "-name", "old"], cpuTicks: 10, startTime: 100)
        let registry = VMRegistry()
        let procfs = ProcFS(root: proc.path)
        // No discovery: the VM came from another source (as libvirt will), so only the open stat file tells.
        var collector = SampleCollector(registry: registry, procfs: procfs, discovery: nil)
        registry.upsert(
            VMIdentity(name: "old", uuid: nil, process: ProcessIdentity(pid: 70, startTimeTicks: 100), vcpus: 1, source: .libvirt),
            nowUnixSeconds: 0
        )
        collector.runRound()
        #expect(registry.records().count == 1)
        // The process exits and a new one gets PID 70: same path, another start time.
        try proc.setStat(pid: 70, comm: "bash", cpuTicks: 0, startTime: 900)
        let result = collector.runRound()
        #expect(result.exited.map(\.name) == ["old"])
        #expect(registry.records().isEmpty)
    }

    @Test("with discovery, the new process under a reused PID is a new VM")
    func pidReuseWithDiscovery() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 80, arguments: ["qemu-system-x86_64", "-name", "first"], startTime: 100)
        let registry = VMRegistry()
        let procfs = ProcFS(root: proc.path)
        var collector = SampleCollector(registry: registry, procfs: procfs, discovery: ProcfsDiscovery(procfs: procfs))
        collector.runRound()
        try proc.addProcess(pid: 80, arguments: ["qemu-system-x86_64", "-name", "second"], startTime: 300)
        collector.runRound()
        let records = registry.records()
        #expect(records.map(\.name) == ["second"])
        #expect(records.first?.identity.process?.startTimeTicks == 300)
        #expect(records.first?.usage == nil)
    }

    @Test("a QEMU the scans keep seeing is read once: its command line is not read again")
    func knownQEMUsAreNotReadAgain() throws {
        let proc = try FixtureProc()
        try proc.addProcess(pid: 90, arguments: ["qemu-system-x86_64", "-name", "alpha"], startTime: 100)
        let registry = VMRegistry()
        let procfs = ProcFS(root: proc.path)
        var collector = SampleCollector(registry: registry, procfs: procfs, discovery: ProcfsDiscovery(procfs: procfs))
        collector.runRound()
        // Rewritten in place (a QEMU cannot do this; the test can): only a re-read would see it.
        try proc.addProcess(pid: 90, arguments: ["qemu-system-x86_64", "-name", "beta"], startTime: 100)
        for _ in 0..<3 {
            let outcome = collector.runRound()
            #expect(outcome.changes.isEmpty)
            #expect(registry.records().map(\.name) == ["alpha"])
        }
    }
}
