import CinergySystem

/// Collects the VMs' CPU usage round after round: the state the sampler carries from one round to
/// the next (an open `/proc/PID/stat` per VM and its previous reading) and the round itself
/// (``runRound(monotonic:unixNow:)``). Owned by one loop; not shared.
///
/// The processes to sample are kept in an array that follows the registry's membership version:
/// while no VM comes or goes, a round walks that array (a `pread` and a parse per VM, no lookups
/// and no allocation per VM) and hands the samples to the registry in one call.
public struct SampleCollector {
    private struct Tracked {
        let process: ProcessIdentity
        let file: ProcStatFile
        /// The previous reading; nil until the first (the baseline).
        var last: (cpuTicks: UInt64, monotonicSeconds: Double)?
    }

    /// What reading a process's stat file gave.
    private enum Reading {
        /// The process is gone, or its PID is another process's now; it has been forgotten.
        case gone
        /// Its first reading: no usage until the next.
        case baseline(ProcessBaseline)
        case sample(UsageSample)
    }

    public let registry: VMRegistry
    public let procfs: ProcFS
    /// Scans for QEMU processes each round; nil when procfs discovery is off.
    public let discovery: ProcfsDiscovery?
    public let ticksPerSecond: Double
    /// The registry's processes, each with its open stat file and last reading.
    private var tracked: [Tracked] = []
    /// The registry membership version `tracked` matches; nil before the first round.
    private var trackedVersion: UInt64?
    /// QEMUs the last scan found, by PID, minus those whose process has exited since.
    private var scanned: [Int32: VMIdentity] = [:]
    /// The host's CPU times at the previous round (`/proc/stat`); nil before the first or when unreadable.
    private var lastHostCPU: HostCPUStat?
    /// The host's load over the last round it could be measured; kept while `/proc/stat` cannot be
    /// read, so that a load-aware ratio is not evaluated at 0 % load meanwhile.
    private var lastHostLoad: Double?
    /// Why `/proc/stat` could not be read in the last round; nil when it could.
    private var hostCPUError: String?
    /// The host's boot time (`btime`), Unix seconds: process start ticks are counted from it.
    private let bootTimeUnixSeconds: Double?

    public init(registry: VMRegistry, procfs: ProcFS, discovery: ProcfsDiscovery?, ticksPerSecond: Double = SystemClock.ticksPerSecond) {
        self.registry = registry
        self.procfs = procfs
        self.discovery = discovery
        self.ticksPerSecond = ticksPerSecond
        bootTimeUnixSeconds = HostBoot.bootTimeUnixSeconds(procRoot: procfs.root)
    }

    /// Reads every registered VM's CPU time and records its usage since the previous round, then
    /// runs discovery and takes a first reading of the VMs it found. A VM whose process has exited (a zombie not yet reaped counts as exited) or
    /// whose PID now belongs to another process is removed. `monotonic` and `unix` default to the system clocks; tests pass their own.
    @discardableResult
    public mutating func runRound(
        monotonic: () -> Double = SystemClock.monotonicSeconds,
        unixNow: Double = SystemClock.unixSeconds()
    ) -> RoundOutcome {
        let start = monotonic()
        // Each reading's Unix time is the round's plus the monotonic time since: a sample's
        // interval (monotonic, between two readings of the same file) then ends exactly where the
        // next begins, and a first reading late in the round (after the scan) is timed as late.
        let unixAt = { (monotonicSeconds: Double) in unixNow + (monotonicSeconds - start) }
        var result = RoundOutcome()
        // The host's CPU load since the previous round: the load-aware cinergy ratio's input. An
        // unreadable /proc/stat keeps the last load measured (and says so once): evaluating the
        // ratio's curve at 0 % load instead would give its value at idle for two rounds.
        var hostCPU: HostCPUStat?
        do {
            hostCPU = try HostCPUStat.read(procRoot: procfs.root)
            hostCPUError = nil
        } catch {
            if hostCPUError == nil { result.hostCPUError = "\(error); using the last host load measured" }
            hostCPUError = "\(error)"
        }
        if let hostCPU, let last = lastHostCPU, let load = hostCPU.loadPercent(since: last) { lastHostLoad = load }
        let hostLoad = lastHostLoad
        if let hostCPU { lastHostCPU = hostCPU }
        // 1. Sample what is registered; this also finds the processes that exited or whose PID
        //    was reused, so that the scan below reads those PIDs afresh.
        follow(result: &result)
        var samples: [(ProcessIdentity, UsageSample)] = []
        samples.reserveCapacity(tracked.count)
        var baselines: [ProcessBaseline] = []
        var readCount = 0
        for index in tracked.indices {
            switch read(at: index, monotonic: monotonic, unixAt: unixAt, result: &result) {
            case .gone: continue
            case .baseline(let baseline):
                readCount += 1
                baselines.append(baseline)
            case .sample(var sample):
                readCount += 1
                sample.hostCPUUsagePercent = hostLoad
                samples.append((tracked[index].process, sample))
            }
        }
        // 2. Discover: new QEMUs are read, known ones are taken as verified by step 1.
        if let discovery {
            let observed = discovery.scan(known: scanned)
            let reconciliation = registry.reconcile(source: .procfs, observed: observed, nowUnixSeconds: unixNow)
            result.changes = reconciliation.changes
            // A repeat is the list `scanned` was built from, onto a membership that has not moved
            // since (a forgotten process would have moved it): `scanned` still holds.
            if !reconciliation.isRepeat {
                scanned = Dictionary(observed.compactMap { identity in identity.pid.map { ($0, identity) } }, uniquingKeysWith: { a, _ in a })
            }
        }
        // 3. Baseline readings for processes registered since step 1 (by the scan or another source),
        //    so that they have a usage one interval from now; exited ones are dropped from `tracked`.
        if follow(result: &result) {
            for index in tracked.indices where tracked[index].last == nil {
                switch read(at: index, monotonic: monotonic, unixAt: unixAt, result: &result) {
                case .gone: continue
                case .baseline(let baseline): baselines.append(baseline)
                case .sample: break
                }
                readCount += 1
            }
        }
        let statistics = RoundStatistics(
            finishedAtUnixSeconds: unixNow,
            durationSeconds: monotonic() - start,
            vmCount: readCount,
            hostCPUUsagePercent: hostLoad
        )
        registry.record(samples, baselines: baselines, hostCPU: hostCPU, statistics: statistics)
        result.statistics = statistics
        return result
    }

    /// Makes `tracked` the registry's processes again if the registry's membership has changed
    /// since: keeps the open file and last reading of the processes still registered, opens the
    /// stat file of new ones (forgetting those already gone) and drops the rest. Returns whether
    /// the membership had changed.
    @discardableResult
    private mutating func follow(result: inout RoundOutcome) -> Bool {
        guard registry.membershipVersion != trackedVersion else { return false }
        let (processes, version) = registry.versionedProcesses()
        var previous = Dictionary(tracked.map { ($0.process, $0) }, uniquingKeysWith: { a, _ in a })
        var next: [Tracked] = []
        next.reserveCapacity(processes.count)
        var gone: [ProcessIdentity] = []
        for process in processes {
            if let kept = previous.removeValue(forKey: process) {
                next.append(kept)
            } else if let file = procfs.openStat(of: process.pid) {
                next.append(Tracked(process: process, file: file))
            } else {
                gone.append(process)
            }
        }
        tracked = next
        trackedVersion = version
        for process in gone { forget(process, result: &result) }
        return true
    }

    /// Reads the CPU time of the process at `index` of `tracked`; one that is gone (or is another
    /// process now) is forgotten.
    private mutating func read(
        at index: Int, monotonic: () -> Double, unixAt: (Double) -> Double, result: inout RoundOutcome
    ) -> Reading {
        let process = tracked[index].process
        guard let stat = tracked[index].file.read(), stat.startTimeTicks == process.startTimeTicks, !stat.hasExited else {
            forget(process, result: &result)
            return .gone
        }
        let now = monotonic()
        let unixNow = unixAt(now)
        let previous = tracked[index].last
        tracked[index].last = (stat.cpuTicks, now)
        guard let previous, now > previous.monotonicSeconds else {
            return .baseline(
                ProcessBaseline(
                    reading: ProcessReading(process: process, cpuTicks: stat.cpuTicks, unixSeconds: unixNow),
                    processStartUnixSeconds: bootTimeUnixSeconds.map { $0 + Double(process.startTimeTicks) / ticksPerSecond }
                )
            )
        }
        let elapsed = now - previous.monotonicSeconds
        let ticks = stat.cpuTicks >= previous.cpuTicks ? stat.cpuTicks - previous.cpuTicks : 0
        let usage = Double(ticks) / ticksPerSecond / elapsed * 100
        return .sample(
            UsageSample(cpuUsagePercent: usage, sampledAtUnixSeconds: unixNow, intervalSeconds: elapsed, cpuTicks: stat.cpuTicks)
        )
    }

    /// Drops a process that exited (or whose PID now belongs to another process) everywhere. The
    /// registry's membership version moves on, so the next `follow` drops it from `tracked`.
    private mutating func forget(_ process: ProcessIdentity, result: inout RoundOutcome) {
        if scanned[process.pid]?.process == process { scanned[process.pid] = nil }
        if let removed = registry.remove(process: process) { result.exited.append(removed) }
    }
}
