import CinergyCore
import Testing

@Suite("VM registry")
struct RegistryTests {
    static func vm(
        _ name: String, pid: Int32, start: UInt64 = 1, uuid: String? = nil, vcpus: Int = 1, source: VMSource = .procfs
    ) -> VMIdentity {
        VMIdentity(name: name, uuid: uuid, process: ProcessIdentity(pid: pid, startTimeTicks: start), vcpus: vcpus, source: source)
    }

    @Test("reconcile adds, updates and removes a source's VMs")
    func reconcile() {
        let registry = VMRegistry()
        var changes = registry.reconcile(source: .procfs, observed: [Self.vm("a", pid: 1), Self.vm("b", pid: 2)], nowUnixSeconds: 0).changes
        #expect(changes.added.map(\.name) == ["a", "b"] || changes.added.map(\.name) == ["b", "a"])
        changes = registry.reconcile(source: .procfs, observed: [Self.vm("a", pid: 1, vcpus: 2)], nowUnixSeconds: 1).changes
        #expect(changes.removed.map(\.name) == ["b"])
        #expect(changes.updated.map(\.new.vcpus) == [2])
        #expect(registry.records().map(\.name) == ["a"])
    }

    @Test("libvirt's identity wins over the procfs scan for the same process")
    func precedence() {
        let registry = VMRegistry()
        registry.reconcile(source: .procfs, observed: [Self.vm("guest", pid: 7)], nowUnixSeconds: 0)
        registry.upsert(Self.vm("guest", pid: 7, uuid: "u", vcpus: 4, source: .libvirt), nowUnixSeconds: 1)
        registry.reconcile(source: .procfs, observed: [Self.vm("guest", pid: 7)], nowUnixSeconds: 2)
        let records = registry.records()
        #expect(records.count == 1)
        #expect(records.first?.identity.source == .libvirt)
        #expect(records.first?.identity.vcpus == 4)
        #expect(records.first?.firstSeenUnixSeconds == 0)
    }

    @Test("a reused PID is another VM")
    func pidReuse() {
        let registry = VMRegistry()
        registry.reconcile(source: .procfs, observed: [Self.vm("old", pid: 9, start: 100)], nowUnixSeconds: 0)
        let changes = registry.reconcile(source: .procfs, observed: [Self.vm("new", pid: 9, start: 200)], nowUnixSeconds: 1).changes
        #expect(changes.removed.map(\.name) == ["old"])
        #expect(changes.added.map(\.name) == ["new"])
    }

    @Test("lookup by name, UUID in any case, or pid:N; shared names are ambiguous")
    func lookup() {
        let registry = VMRegistry()
        registry.reconcile(
            source: .procfs,
            observed: [
                Self.vm("web", pid: 1, uuid: "0000aaaa-0000-0000-0000-000000000001"),
                Self.vm("twin", pid: 2), Self.vm("twin", pid: 3),
            ],
            nowUnixSeconds: 0
        )
        guard case .found(let byName) = registry.lookup("web") else { Issue.record("web not found"); return }
        #expect(byName.identity.pid == 1)
        guard case .found(let byUUID) = registry.lookup("0000AAAA-0000-0000-0000-000000000001") else { Issue.record("uuid"); return }
        #expect(byUUID.name == "web")
        guard case .ambiguous(let twins) = registry.lookup("twin") else { Issue.record("twin"); return }
        #expect(twins.map(\.identity.pid) == [2, 3])
        guard case .found(let byPID) = registry.lookup("pid:3") else { Issue.record("pid:3"); return }
        #expect(byPID.name == "twin")
        #expect(registry.lookup("nope") == .notFound)
        #expect(registry.lookup("pid:x") == .notFound)
    }

    @Test("history keeps the last samples only")
    func history() {
        let registry = VMRegistry(historyLength: 3)
        let process = ProcessIdentity(pid: 1, startTimeTicks: 1)
        registry.upsert(Self.vm("a", pid: 1), nowUnixSeconds: 0)
        for second in 1...5 {
            let sample = UsageSample(cpuUsagePercent: Double(second), sampledAtUnixSeconds: Double(second), intervalSeconds: 1)
            registry.record([(process, sample)], statistics: RoundStatistics(finishedAtUnixSeconds: Double(second), durationSeconds: 0, vmCount: 1))
        }
        let record = registry.records()[0]
        #expect(record.history.map(\.cpuUsagePercent) == [3, 4, 5])
        #expect(record.usage?.cpuUsagePercent == 5)
        #expect(registry.status().lastRound?.finishedAtUnixSeconds == 5)
    }

    @Test("a paused VM's usage reads 0")
    func paused() {
        let registry = VMRegistry()
        var identity = Self.vm("p", pid: 1)
        identity.state = .paused
        registry.upsert(identity, nowUnixSeconds: 0)
        registry.record(
            [(identity.process!, UsageSample(cpuUsagePercent: 3, sampledAtUnixSeconds: 1, intervalSeconds: 1))],
            statistics: RoundStatistics(finishedAtUnixSeconds: 1, durationSeconds: 0, vmCount: 1)
        )
        #expect(registry.records()[0].effectiveUsage?.cpuUsagePercent == 0)
    }
}

@Suite("VM registry: libvirt domains beside procfs")
struct RegistryMergeTests {
    static func domain(_ name: String, uuid: String, pid: Int32?, vcpus: Int = 2, state: VMState = .running) -> VMIdentity {
        VMIdentity(
            name: name, uuid: uuid, process: pid.map { ProcessIdentity(pid: $0, startTimeTicks: 10) }, vcpus: vcpus,
            source: .libvirt, state: state
        )
    }

    @Test("a domain reported after the procfs scan found its QEMU takes over the entry and its samples")
    func mergeByProcess() {
        let registry = VMRegistry()
        let process = ProcessIdentity(pid: 42, startTimeTicks: 10)
        registry.reconcile(
            source: .procfs,
            observed: [VMIdentity(name: "vm", uuid: "u-1", process: process, vcpus: 4, source: .procfs)],
            nowUnixSeconds: 5
        )
        registry.record(
            [(process, UsageSample(cpuUsagePercent: 12, sampledAtUnixSeconds: 6, intervalSeconds: 1))],
            statistics: RoundStatistics(finishedAtUnixSeconds: 6, durationSeconds: 0, vmCount: 1)
        )
        registry.upsert(Self.domain("vm", uuid: "u-1", pid: 42, vcpus: 2), nowUnixSeconds: 7)
        // The next scan still sees the process: it stays libvirt's.
        registry.reconcile(
            source: .procfs,
            observed: [VMIdentity(name: "vm", uuid: "u-1", process: process, vcpus: 4, source: .procfs)],
            nowUnixSeconds: 8
        )
        let records = registry.records()
        #expect(records.count == 1)
        #expect(records[0].identity.source == .libvirt)
        #expect(records[0].identity.vcpus == 2)
        #expect(records[0].usage?.cpuUsagePercent == 12)
        #expect(records[0].firstSeenUnixSeconds == 5)
        #expect(registry.processes() == [process])
    }

    @Test("a domain without a known process is listed, not sampled; removal by key")
    func domainWithoutProcess() {
        let registry = VMRegistry()
        registry.upsert(Self.domain("test", uuid: "u-2", pid: nil), nowUnixSeconds: 0)
        #expect(registry.records().map(\.name) == ["test"])
        #expect(registry.processes().isEmpty)
        #expect(registry.remove(key: .domain(uuid: "u-2"))?.name == "test")
        #expect(registry.records().isEmpty)
    }

    @Test("a rename keeps the entry and its samples")
    func rename() {
        let registry = VMRegistry()
        let process = ProcessIdentity(pid: 7, startTimeTicks: 10)
        registry.upsert(Self.domain("old-name", uuid: "u-3", pid: 7), nowUnixSeconds: 0)
        registry.record(
            [(process, UsageSample(cpuUsagePercent: 50, sampledAtUnixSeconds: 1, intervalSeconds: 1))],
            statistics: RoundStatistics(finishedAtUnixSeconds: 1, durationSeconds: 0, vmCount: 1)
        )
        registry.upsert(Self.domain("new-name", uuid: "u-3", pid: 7), nowUnixSeconds: 2)
        let records = registry.records()
        #expect(records.map(\.name) == ["new-name"])
        #expect(records[0].history.count == 1)
        #expect(registry.lookup("old-name") == .notFound)
    }

    @Test("a restarted domain (new QEMU process) starts its samples anew")
    func restart() {
        let registry = VMRegistry()
        registry.upsert(Self.domain("vm", uuid: "u-4", pid: 7), nowUnixSeconds: 0)
        registry.record(
            [(ProcessIdentity(pid: 7, startTimeTicks: 10), UsageSample(cpuUsagePercent: 50, sampledAtUnixSeconds: 1, intervalSeconds: 1))],
            statistics: RoundStatistics(finishedAtUnixSeconds: 1, durationSeconds: 0, vmCount: 1)
        )
        registry.upsert(Self.domain("vm", uuid: "u-4", pid: 8), nowUnixSeconds: 2)
        #expect(registry.records()[0].usage == nil)
        #expect(registry.processes().map(\.pid) == [8])
    }

    @Test("the procfs scan never takes a process from libvirt, and libvirt's reconcile drops only its own")
    func reconcileSources() {
        let registry = VMRegistry()
        registry.upsert(Self.domain("managed", uuid: "u-5", pid: 100), nowUnixSeconds: 0)
        registry.reconcile(
            source: .procfs,
            observed: [
                VMIdentity(name: "managed", uuid: "u-5", process: ProcessIdentity(pid: 100, startTimeTicks: 10), vcpus: 1, source: .procfs),
                VMIdentity(name: "by-hand", uuid: nil, process: ProcessIdentity(pid: 200, startTimeTicks: 10), vcpus: 1, source: .procfs),
            ],
            nowUnixSeconds: 1
        )
        #expect(registry.records().map { "\($0.name):\($0.identity.source.rawValue)" } == ["by-hand:procfs", "managed:libvirt"])
        let changes = registry.reconcile(source: .libvirt, observed: [], nowUnixSeconds: 2).changes
        #expect(changes.removed.map(\.name) == ["managed"])
        #expect(registry.records().map(\.name) == ["by-hand"])
    }
}

extension RegistryMergeTests {
    @Test("a stopped domain's QEMU, still exiting, does not come back through the procfs scan")
    func retired() {
        let registry = VMRegistry()
        let process = ProcessIdentity(pid: 300, startTimeTicks: 10)
        let scanned = VMIdentity(name: "vm", uuid: "u-6", process: process, vcpus: 1, source: .procfs)
        registry.upsert(Self.domain("vm", uuid: "u-6", pid: 300), nowUnixSeconds: 0)
        registry.remove(key: .domain(uuid: "u-6"))
        registry.reconcile(source: .procfs, observed: [scanned], nowUnixSeconds: 1)
        #expect(registry.records().isEmpty)
        // Once the scan no longer sees it, the same process identity could never come back anyway.
        registry.reconcile(source: .procfs, observed: [], nowUnixSeconds: 2)
        registry.reconcile(source: .procfs, observed: [scanned], nowUnixSeconds: 3)
        #expect(registry.records().map(\.name) == ["vm"])
    }
}

@Suite("Energy and carbon counters")
struct EnergyCounterTests {
    @Test("each sample adds power × interval; a paused VM keeps only its static share; counters follow a takeover")
    func integrate() {
        // f(x) = 10 + x, ratio 1, 4 server cores: a 2-vCPU VM at 50 % draws 5 W static + 50 W dynamic.
        let accounting = EnergyAccounting(
            power: PowerModel(polynomial: Polynomial(coefficients: [10, 1]), cinergyRatio: 1, serverCores: 4),
            carbon: CarbonModel(pue: 1.5, emissionFactorGramsPerKilowattHour: 400)
        )
        let registry = VMRegistry(accounting: accounting)
        let process = ProcessIdentity(pid: 5, startTimeTicks: 1)
        registry.upsert(VMIdentity(name: "vm", uuid: "u", process: process, vcpus: 2, source: .procfs), nowUnixSeconds: 0)
        func sample(_ usage: Double, seconds: Double) {
            registry.record(
                [(process, UsageSample(cpuUsagePercent: usage, sampledAtUnixSeconds: 0, intervalSeconds: seconds))],
                statistics: RoundStatistics(finishedAtUnixSeconds: 0, durationSeconds: 0, vmCount: 1)
            )
        }
        sample(50, seconds: 2)
        var record = registry.records()[0]
        #expect(record.energyJoules == 110)
        #expect(abs(record.carbonGrams - 110.0 / 3.6e6 * 1.5 * 400) < 1e-12)

        // libvirt takes the VM over and pauses it: the counters carry on, only static power is added.
        registry.upsert(
            VMIdentity(name: "vm", uuid: "u", process: process, vcpus: 2, source: .libvirt, state: .paused), nowUnixSeconds: 1
        )
        sample(50, seconds: 2)
        record = registry.records()[0]
        #expect(record.energyJoules == 120)
    }

    @Test("reconciling the same list again changes nothing, unless the registry changed in between; samples move the records version")
    func versions() throws {
        let registry = VMRegistry()
        let process = ProcessIdentity(pid: 31, startTimeTicks: 7)
        let vm = VMIdentity(name: "again", uuid: nil, process: process, vcpus: 1, source: .procfs)
        #expect(registry.reconcile(source: .procfs, observed: [vm], nowUnixSeconds: 0).changes.added.map(\.name) == ["again"])
        let membership = registry.membershipVersion
        #expect(registry.reconcile(source: .procfs, observed: [vm], nowUnixSeconds: 1).changes.added.isEmpty)
        #expect(registry.membershipVersion == membership)

        // The process was dropped meanwhile (the sampler saw it gone): the same list adds it back.
        registry.remove(process: process)
        #expect(registry.records().isEmpty)
        #expect(registry.reconcile(source: .procfs, observed: [vm], nowUnixSeconds: 2).changes.added.map(\.name) == ["again"])
        #expect(registry.records().map(\.name) == ["again"])

        let (_, before) = registry.versionedRecords()
        registry.record(
            [(process, UsageSample(cpuUsagePercent: 5, sampledAtUnixSeconds: 3, intervalSeconds: 1))],
            statistics: RoundStatistics(finishedAtUnixSeconds: 3, durationSeconds: 0, vmCount: 1)
        )
        let (records, after) = registry.versionedRecords()
        #expect(after != before && after == registry.recordsVersion)
        #expect(records.first?.usage?.cpuUsagePercent == 5)
        #expect(registry.membershipVersion != membership)
    }
}

/// The contract the sample collector relies on: a repeat is reported as such, and only a repeat.
@Suite("VM registry: reconcile reports a repeat")
struct ReconcileRepeatTests {
    static let a = RegistryTests.vm("a", pid: 1)
    static let b = RegistryTests.vm("b", pid: 2)

    @Test("the same list onto an unchanged membership is a repeat: skipped, nothing changed, the version kept")
    func repeatIsSkipped() {
        let registry = VMRegistry()
        let first = registry.reconcile(source: .procfs, observed: [Self.a], nowUnixSeconds: 0)
        #expect(first.isRepeat == false)
        #expect(first.changes.added.map(\.name) == ["a"])
        let version = registry.membershipVersion
        let again = registry.reconcile(source: .procfs, observed: [Self.a], nowUnixSeconds: 1)
        #expect(again.isRepeat)
        #expect(again.changes.isEmpty)
        #expect(registry.membershipVersion == version)
    }

    @Test("another list, or any change of membership in between, is applied")
    func changesAreApplied() {
        let registry = VMRegistry()
        registry.reconcile(source: .procfs, observed: [Self.a], nowUnixSeconds: 0)
        #expect(registry.reconcile(source: .procfs, observed: [Self.a, Self.b], nowUnixSeconds: 1).isRepeat == false)
        #expect(registry.reconcile(source: .procfs, observed: [Self.a, Self.b], nowUnixSeconds: 2).isRepeat)

        // Another source changes the membership: the same list is applied again (and changes nothing).
        registry.upsert(RegistryMergeTests.domain("other", uuid: "u-9", pid: 9), nowUnixSeconds: 3)
        let afterUpsert = registry.reconcile(source: .procfs, observed: [Self.a, Self.b], nowUnixSeconds: 4)
        #expect(afterUpsert.isRepeat == false)
        #expect(afterUpsert.changes.isEmpty)

        // A process the sampler dropped comes back with the same list.
        registry.remove(process: Self.a.process!)
        let afterRemoval = registry.reconcile(source: .procfs, observed: [Self.a, Self.b], nowUnixSeconds: 5)
        #expect(afterRemoval.isRepeat == false)
        #expect(afterRemoval.changes.added.map(\.name) == ["a"])

        // Each source's repeat is its own: libvirt's first list is applied.
        #expect(registry.reconcile(source: .libvirt, observed: [], nowUnixSeconds: 6).isRepeat == false)
        #expect(registry.reconcile(source: .procfs, observed: [Self.a, Self.b], nowUnixSeconds: 7).isRepeat == false)
    }
}
