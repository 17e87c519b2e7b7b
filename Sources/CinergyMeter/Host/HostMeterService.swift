public import CinergyCore
import CinergySystem
public import Logging
public import ServiceLifecycle
import Synchronization

/// Reads the host's power meter on a thread of its own, on the meter's own schedule, and records
/// each reading beside the model's prediction for the same interval in the `HostPowerMonitor`,
/// with the reading's metered share among the registry's VMs (`MeteredShare`).
///
/// A meter that cannot be opened or read never stops the agent: the monitor says why, and the
/// service tries again. HTTP handlers read the monitor only; none ever waits on a meter.
public struct HostMeterService: Service, CustomStringConvertible {
    public struct Configuration: Sendable {
        /// Which meter to use (`auto`: the first found).
        public var choice: MeterChoice
        /// The sysfs root the RAPL and hwmon meters are found under.
        public var sysfsRoot: String
        /// The procfs root whose `stat` gives the host's CPU load.
        public var procRoot: String
        /// Seconds between two readings of a sysfs meter; IPMI is read at most every 10 s.
        public var intervalSeconds: Double
        /// The CPUs `/proc/stat`'s host load is a percentage of.
        public var onlineCPUs: Int

        public init(
            choice: MeterChoice, sysfsRoot: String = "/sys", procRoot: String = "/proc", intervalSeconds: Double = 1,
            onlineCPUs: Int = HostCPUs.onlineCount()
        ) {
            self.choice = choice
            self.sysfsRoot = sysfsRoot
            self.procRoot = procRoot
            self.intervalSeconds = intervalSeconds
            self.onlineCPUs = onlineCPUs
        }
    }

    public let configuration: Configuration
    public let monitor: HostPowerMonitor
    public let model: PowerModel
    /// The VMs the measured power is shared among; nil: no share is computed.
    public let registry: VMRegistry?
    public let logger: Logger

    public init(configuration: Configuration, monitor: HostPowerMonitor, model: PowerModel, registry: VMRegistry? = nil, logger: Logger) {
        self.configuration = configuration
        self.monitor = monitor
        self.model = model
        self.registry = registry
        self.logger = logger
    }

    /// The metered share of `measuredWatts` among the registry's VMs, by their latest usage: each
    /// VM's CPU use and the host's busy CPU time come from the same sampling round; without one
    /// (no VM sampled yet) the meter's own interval's host load is used. `ledgerKeys` maps each VM
    /// to its account; nil without a registry.
    public func share(measuredWatts: Double, hostLoadPercent: Double) -> (share: MeteredShare, ledgerKeys: [VMKey: String])? {
        guard let registry else { return nil }
        let records = registry.records()
        let ledgerKeys = Dictionary(records.map { ($0.identity.key, $0.identity.ledgerKey) }, uniquingKeysWith: { first, _ in first })
        var hostBusy = hostLoadPercent * Double(configuration.onlineCPUs)
        let uses = records.compactMap { record -> MeteredShare.VMUse? in
            guard let usage = record.effectiveUsage else { return nil }
            if let load = usage.hostCPUUsagePercent { hostBusy = load * Double(configuration.onlineCPUs) }
            var isolated = model
            isolated.ratio = .constant(1)
            return MeteredShare.VMUse(
                key: record.identity.key, name: record.name, uuid: record.identity.uuid, vcpus: record.identity.vcpus,
                cpuUsagePercent: usage.cpuUsagePercent,
                isolatedDynamicWatts: isolated.estimate(usage, vmCores: record.identity.vcpus).dynamicWatts
            )
        }
        let share = MeteredShare.attribute(
            measuredWatts: measuredWatts, idleWatts: model.curve.idleWatts, hostBusyCPUPercent: hostBusy,
            serverCores: model.serverCores, vms: uses
        )
        return (share, ledgerKeys)
    }

    /// Adds each VM's attributed energy over a meter interval of `seconds` ending at
    /// `endUnixSeconds` to its account (the ledger's attributed column).
    func account(_ share: MeteredShare, ledgerKeys: [VMKey: String], seconds: Double, endUnixSeconds: Double) {
        guard let registry, seconds > 0 else { return }
        var joules: [String: Double] = [:]
        for vm in share.vms {
            guard let key = ledgerKeys[vm.key] else { continue }
            joules[key, default: 0] += vm.totalWatts * seconds
        }
        registry.accounts.addAttributed(joules, fromUnixSeconds: endUnixSeconds - seconds, toUnixSeconds: endUnixSeconds)
    }

    public var description: String { "HostMeterService(meter: \(configuration.choice.rawValue), sysfs: \(configuration.sysfsRoot))" }

    public func run() async throws {
        let stop = StopFlag()
        let loop = MeterLoop(service: self, stop: stop)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                    _ = SystemThread(name: "cinergy-meter") {
                        loop.run()
                        finished.resume()
                    }
                }
            }
            group.addTask {
                // Returns at graceful shutdown, or throws when the service's task is cancelled.
                try? await gracefulShutdown()
                stop.set()
            }
            await group.next()
            stop.set()
            await group.waitForAll()
        }
    }
}

/// Tells the meter thread to stop.
private final class StopFlag: Sendable {
    private let flag = Atomic(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// The meter thread's loop: open the meter (again, after a failure), read it, compare.
private struct MeterLoop: Sendable {
    let service: HostMeterService
    let stop: StopFlag

    func run() {
        let configuration = service.configuration
        var meter: (any PowerMeter)?
        var previous: (reading: MeterReading, cpu: HostCPUStat)?
        var lastOpenError: String?
        var lastReadError: String?
        while !stop.isSet {
            if meter == nil {
                do {
                    meter = try MeterDiscovery.open(configuration.choice, sysfsRoot: configuration.sysfsRoot)
                    if let meter {
                        service.monitor.setMeter(.init(kind: meter.kind, measures: meter.measures))
                        service.logger.info("host meter opened", metadata: ["meter": "\(meter.kind)", "measures": "\(meter.measures)"])
                        lastOpenError = nil
                    }
                } catch {
                    let message = error.description
                    service.monitor.setMeter(nil, error: message)
                    if message != lastOpenError {
                        service.logger.warning("host meter unavailable; retrying", metadata: ["meter": "\(configuration.choice.rawValue)", "reason": "\(message)"])
                        lastOpenError = message
                    }
                }
            }
            if let meter {
                do {
                    let reading = try meter.read()
                    let cpu = try HostCPUStat.read(procRoot: configuration.procRoot)
                    if let (earlier, earlierCPU) = previous, let load = cpu.loadPercent(since: earlierCPU),
                        let watts = reading.meanWatts(since: earlier)
                    {
                        let seconds = reading.monotonicSeconds - earlier.monotonicSeconds
                        let energy = watts * seconds
                        let now = SystemClock.unixSeconds()
                        let comparison = HostPowerMonitor.Comparison(
                            atUnixSeconds: now,
                            hostLoadPercent: load,
                            measuredWatts: watts,
                            predictedWatts: service.model.hostWatts(hostLoadPercent: load)
                        )
                        let attributed = service.share(measuredWatts: watts, hostLoadPercent: load)
                        log(service.monitor.record(comparison, energyJoules: energy, share: attributed?.share))
                        if let attributed {
                            service.account(attributed.share, ledgerKeys: attributed.ledgerKeys, seconds: seconds, endUnixSeconds: now)
                        }
                    }
                    previous = (reading, cpu)
                    lastReadError = nil
                } catch {
                    let message = "\(error)"
                    service.monitor.setMeterError(message)
                    if message != lastReadError {
                        service.logger.warning("host meter read failed; retrying", metadata: ["meter": "\(meter.kind)", "reason": "\(message)"])
                        lastReadError = message
                    }
                    previous = nil
                }
            }
            let interval = meter?.kind == .ipmi ? max(10, configuration.intervalSeconds) : configuration.intervalSeconds
            sleep(seconds: meter == nil ? max(5, interval) : interval)
        }
    }

    private func log(_ change: HostPowerMonitor.DriftChange?) {
        switch change {
        case .startedDrifting(let mape)?:
            service.logger.warning(
                "the power model is drifting from the host's meter; run `cinergy calibrate` to refit it",
                metadata: [
                    "mean_absolute_percent_error": "\(mape)",
                    "threshold_percent": "\(service.monitor.configuration.driftThresholdPercent)",
                    "window_seconds": "\(service.monitor.configuration.windowSeconds)",
                ]
            )
        case .recovered(let mape)?:
            service.logger.info("the power model matches the host's meter again", metadata: ["mean_absolute_percent_error": "\(mape)"])
        case nil:
            break
        }
    }

    /// Sleeps in steps of at most 100 ms, so that a stop is seen promptly.
    private func sleep(seconds: Double) {
        SystemClock.sleep(seconds: seconds, stepSeconds: 0.1) { stop.isSet }
    }
}
