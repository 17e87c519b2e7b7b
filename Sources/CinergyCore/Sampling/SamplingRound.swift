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

    public init(registry: VMRegistry, procfs: ProcFS, discovery: ProcfsDiscovery?, ticksPerSecond: Double = SystemClock.ticksPerSecond) {
        self.registry = registry
        self.procfs = procfs
        self.discovery = discovery
        self.ticksPerSecond = ticksPerSecond
    }

    /// Runs discovery, then reads every registered VM's CPU time and records its usage since the
    /// previous round. A VM whose process has exited (a zombie not yet reaped counts as exited) or
    /// whose PID now belongs to another process is removed. `monotonic` and `unix` default to the system clocks; tests pass their own.
    @discardableResult
    public mutating func run(
        monotonic: () -> Double = SystemClock.monotonicSeconds,
        unixNow: Double = SystemClock.unixSeconds()
    ) -> RoundResult {
        let start = monotonic()
        var result = RoundResult()
        if let discovery {
            result.changes = registry.reconcile(source: .procfs, observed: discovery.scan(), nowUnixSeconds: unixNow)
        }
        let processes = registry.processes()
        let current = Set(processes)
        tracked = tracked.filter { current.contains($0.key) }

        var samples: [(ProcessIdentity, UsageSample)] = []
        samples.reserveCapacity(processes.count)
        for process in processes {
            let file: ProcStatFile
            let previous = tracked[process]
            if let previous {
                file = previous.file
            } else if let opened = procfs.openStat(of: process.pid) {
                file = opened
            } else {
                result.exited.append(contentsOf: registry.remove(process: process).map { [$0] } ?? [])
                continue
            }
            guard let stat = file.read(), stat.startTimeTicks == process.startTimeTicks, !stat.hasExited else {
                tracked[process] = nil
                result.exited.append(contentsOf: registry.remove(process: process).map { [$0] } ?? [])
                continue
            }
            let now = monotonic()
            if let previous, now > previous.lastMonotonicSeconds {
                let elapsed = now - previous.lastMonotonicSeconds
                let ticks = stat.cpuTicks >= previous.lastCPUTicks ? stat.cpuTicks - previous.lastCPUTicks : 0
                let usage = Double(ticks) / ticksPerSecond / elapsed * 100
                samples.append(
                    (process, UsageSample(cpuUsagePercent: usage, sampledAtUnixSeconds: unixNow, intervalSeconds: elapsed))
                )
            }
            tracked[process] = Tracked(file: file, lastCPUTicks: stat.cpuTicks, lastMonotonicSeconds: now)
        }
        let round = SampleRound(
            finishedAtUnixSeconds: unixNow,
            durationSeconds: monotonic() - start,
            vmCount: processes.count - result.exited.count
        )
        registry.record(samples, round: round)
        result.round = round
        return result
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
