public import CinergyCore
import CinergySystem
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// Delivers each libvirt VM's own figures inside the VM: one JSON line per sample interval
/// (``GuestChannelLine``) into the VM's virtio-serial port `org.cinergy.power.0`.
///
/// Life cycle, per VM (``GuestChannelTracker``): when a libvirt VM enters the registry (its domain
/// started, or was found at start-up or after libvirtd came back) the service reads the domain's
/// live XML over a read-only connection; when the domain declares the channel as a Unix socket
/// QEMU listens on, the service connects to it and writes a line after each sample; when the
/// connection is lost it connects again, with backoff; when the VM leaves the registry (the domain
/// stopped) it lets go. With hot-plug on, a domain without the channel gets it attached, live only,
/// over a read-write connection. QEMUs found only by the procfs scan get no channel: libvirt made
/// no socket for them.
///
/// Threads: libvirt calls run on a worker thread of their own (``GuestChannelLibvirt``), socket
/// I/O on one NIO event loop thread of its own (``GuestChannelSocket``); the loop here only moves
/// state and never waits on either.
public struct GuestChannelService: Service, CustomStringConvertible {
    public struct Configuration: Sendable {
        /// The libvirt URI, such as `qemu:///system`.
        public var uri: String
        /// Whether to hot-plug the channel into running domains that lack it (`GUEST_CHANNEL_HOTPLUG`).
        public var hotplug: Bool
        /// Seconds between samples: the lines' pace.
        public var sampleIntervalSeconds: Double
        public var powerModel: PowerModel
        public var carbonModel: CarbonModel
        /// The emission factor file, whose factor in force replaces `EMISSION_FACTOR` in the lines.
        public var emissionFactors: (any EmissionFactorSchedule)?
        /// The server's embodied emissions, for the embodied figures of `/carbon`; nil when not accounted.
        public var embodied: EmbodiedModel?

        public init(
            uri: String, hotplug: Bool, sampleIntervalSeconds: Double, powerModel: PowerModel, carbonModel: CarbonModel,
            emissionFactors: (any EmissionFactorSchedule)? = nil, embodied: EmbodiedModel? = nil
        ) {
            self.embodied = embodied
            self.uri = uri
            self.hotplug = hotplug
            self.sampleIntervalSeconds = sampleIntervalSeconds
            self.powerModel = powerModel
            self.carbonModel = carbonModel
            self.emissionFactors = emissionFactors
        }
    }

    public let registry: VMRegistry
    public let configuration: Configuration
    /// The VMs with a channel and their counters, for `/metrics`.
    public let channels: GuestChannels
    public let logger: Logger

    public init(registry: VMRegistry, configuration: Configuration, channels: GuestChannels, logger: Logger) {
        self.registry = registry
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
    }

    public var description: String { "GuestChannelService(\(configuration.uri), hot-plug: \(configuration.hotplug))" }

    /// How often the loop looks at the registry, the lookups and the sockets: a quarter of the
    /// sample interval (so a line leaves at most that long after its sample), from 50 to 500 ms.
    var tickSeconds: Double {
        min(max(configuration.sampleIntervalSeconds / 4, 0.05), 0.5)
    }

    public func run() async throws {
        let registry = registry
        let configuration = configuration
        let channels = channels
        let logger = logger
        let tick = Duration.nanoseconds(Int64(tickSeconds * 1e9))
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let libvirt = GuestChannelLibvirt(uri: configuration.uri, hotplug: configuration.hotplug, logger: logger)
        let line = GuestChannelLine(
            powerModel: configuration.powerModel, carbonModel: configuration.carbonModel,
            emissionFactors: configuration.emissionFactors, embodied: configuration.embodied, registry: registry
        )
        logger.info(
            "guest channel on", metadata: ["port": "\(GuestChannelLine.portName)", "hotplug": "\(configuration.hotplug)"]
        )
        await cancelWhenGracefulShutdown {
            let inbox = LookupInbox()
            var tracker = GuestChannelTracker(channels: channels, logger: logger)
            await withDiscardingTaskGroup { group in
                var seenVersion: UInt64?
                var records: [VMRecord] = []
                while !Task.isCancelled {
                    let now = SystemClock.monotonicSeconds()
                    for (uuid, lookup) in inbox.drain() {
                        tracker.apply(lookup, uuid: uuid, now: now)
                    }
                    let version = registry.recordsVersion
                    if version != seenVersion {
                        seenVersion = version
                        records = registry.records()
                        tracker.sync(with: records, now: now)
                    }
                    for uuid in tracker.takeDueLookups(now: now) {
                        group.addTask { inbox.post(uuid, await libvirt.lookup(uuid: uuid)) }
                    }
                    tracker.tendSockets(now: now, group: eventLoops)
                    tracker.send(records, line: line)
                    do {
                        try await Task.sleep(for: tick)
                    } catch {
                        break
                    }
                }
            }
            tracker.releaseAll()
        }
        await libvirt.close()
        try? await eventLoops.shutdownGracefully()
    }
}

/// Lookups finished on the libvirt worker, waiting for the service's loop.
private final class LookupInbox: Sendable {
    private let results = Mutex<[(String, GuestChannelLibvirt.Lookup)]>([])

    func post(_ uuid: String, _ lookup: GuestChannelLibvirt.Lookup) {
        results.withLock { $0.append((uuid, lookup)) }
    }

    func drain() -> [(String, GuestChannelLibvirt.Lookup)] {
        results.withLock { results in
            defer { results = [] }
            return results
        }
    }
}
