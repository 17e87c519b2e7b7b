/// The state the sampler carries from one round to the next: an open `/proc/PID/stat` per VM
/// and its previous reading. Owned by one loop; not shared.
public struct SamplingRound {
    private struct Tracked {
        let file: ProcStatFile
        var lastCPUTicks: UInt64
        var lastMonotonicSeconds: Double
    }

    public let registry: VMRegistry
    public let procfs: ProcFS
    /// Scans for QEMU processes each round; nil when procfs discovery is off.
    public let discovery: ProcfsDiscovery?
    public let ticksPerSecond: Double
    private var tracked: [ProcessIdentity: Tracked] = [:]
    /// QEMUs the last scan found, by PID, minus those whose process has exited since.
    private var scanned: [Int32: VMIdentity] = [:]

    public init(registry: VMRegistry, procfs: ProcFS, discovery: ProcfsDiscovery?, ticksPerSecond: Double = SystemClock.ticksPerSecond) {
        self.registry = registry
        self.procfs = procfs
        self.discovery = discovery
        self.ticksPerSecond = ticksPerSecond
    }

    /// Reads every registered VM's CPU time and records its usage since the previous round, then
    /// runs discovery and takes a first reading of the VMs it found. A VM whose process has exited (a zombie not yet reaped counts as exited) or
    /// whose PID now belongs to another process is removed. `monotonic` and `unix` default to the system clocks; tests pass their own.
    @discardableResult
    public mutating func run(
        monotonic: () -> Double = SystemClock.monotonicSeconds,
        unixNow: Double = SystemClock.unixSeconds()
    ) -> RoundResult {
        let start = monotonic()
        var result = RoundResult()
        // 1. Sample what is registered; this also finds the processes that exited or whose PID
        //    was reused, so that the scan below reads those PIDs afresh.
        var samples: [(ProcessIdentity, UsageSample)] = []
        let processes = registry.processes()
        samples.reserveCapacity(processes.count)
        let current = Set(processes)
        tracked = tracked.filter { current.contains($0.key) }
        for process in processes {
            if let sample = read(process, monotonic: monotonic, unixNow: unixNow, result: &result) {
                samples.append((process, sample))
            }
        }
        // 2. Discover: new QEMUs are read, known ones are taken as verified by step 1.
        if let discovery {
            let observed = discovery.scan(known: scanned)
            scanned = Dictionary(observed.compactMap { identity in identity.pid.map { ($0, identity) } }, uniquingKeysWith: { a, _ in a })
            result.changes = registry.reconcile(source: .procfs, observed: observed, nowUnixSeconds: unixNow)
        }
        // 3. Baseline readings for processes registered since step 1 (by the scan or another source),
        //    so that they have a usage one interval from now.
        for process in registry.processes() where tracked[process] == nil {
            _ = read(process, monotonic: monotonic, unixNow: unixNow, result: &result)
        }
        let round = SampleRound(
            finishedAtUnixSeconds: unixNow,
            durationSeconds: monotonic() - start,
            vmCount: tracked.count
        )
        registry.record(samples, round: round)
        result.round = round
        return result
    }

    /// Reads one process's CPU time; returns its usage since the previous reading, if there was one.
    /// A process that is gone (or is another one now) is forgotten.
    private mutating func read(
        _ process: ProcessIdentity, monotonic: () -> Double, unixNow: Double, result: inout RoundResult
    ) -> UsageSample? {
        let previous = tracked[process]
        guard let file = previous?.file ?? procfs.openStat(of: process.pid) else {
            forget(process, result: &result)
            return nil
        }
        guard let stat = file.read(), stat.startTimeTicks == process.startTimeTicks, !stat.hasExited else {
            forget(process, result: &result)
            return nil
        }
        let now = monotonic()
        tracked[process] = Tracked(file: file, lastCPUTicks: stat.cpuTicks, lastMonotonicSeconds: now)
        guard let previous, now > previous.lastMonotonicSeconds else { return nil }
        let elapsed = now - previous.lastMonotonicSeconds
        let ticks = stat.cpuTicks >= previous.lastCPUTicks ? stat.cpuTicks - previous.lastCPUTicks : 0
        let usage = Double(ticks) / ticksPerSecond / elapsed * 100
        return UsageSample(cpuUsagePercent: usage, sampledAtUnixSeconds: unixNow, intervalSeconds: elapsed)
    }

    /// Drops a process that exited (or whose PID now belongs to another process) everywhere.
    private mutating func forget(_ process: ProcessIdentity, result: inout RoundResult) {
        tracked[process] = nil
        if scanned[process.pid]?.process == process { scanned[process.pid] = nil }
        if let removed = registry.remove(process: process) { result.exited.append(removed) }
    }
}

/// What one sampling round did.
public struct RoundResult: Sendable {
    /// What discovery changed.
    public var changes = RegistryChanges()
    /// VMs removed because their process was gone.
    public var exited: [VMIdentity] = []
    public var round: SampleRound?

    public init() {}
}
