import CinergyCore
import Logging
import NIOCore

/// Where each libvirt VM's guest channel stands: the guest channel service's state, owned by its
/// loop alone (not shared; ``GuestChannels`` is what others read).
///
/// Each VM logs one line per change of its channel's state (connected, unreachable, released,
/// hot-plugged, unusable, hot-plug refused), never one per line written.
struct GuestChannelTracker {
    /// One VM's channel.
    enum Phase {
        /// The domain's live XML is to be read at or after this time (monotonic seconds).
        case lookupDue(Double)
        /// A lookup is running.
        case lookingUp
        /// Nothing to serve until the domain restarts: no channel declared, an unusable one, or a
        /// refused hot-plug.
        case idle
        /// The channel's socket; `socket` is nil while waiting until `retryAt` to connect again.
        case channel(path: String, socket: GuestChannelSocket?, retryAt: Double)
    }

    /// What the log last said about a VM's connection.
    enum Reported: Equatable {
        case nothing
        case connected
        /// Was connected, and the connection closed; not logged (see ``tendSockets(now:group:)``).
        case lost
        case unreachable
    }

    struct VM {
        var name: String
        var process: ProcessIdentity?
        var phase: Phase
        var lookupBackoffSeconds = GuestChannelTracker.initialBackoffSeconds
        var connectBackoffSeconds = GuestChannelTracker.initialBackoffSeconds
        var reported = Reported.nothing
        /// The sample time of the last line sent, so that each sample is sent once.
        var lastSampledAt: Double?
        let counters = GuestChannelCounters()

        init(name: String, process: ProcessIdentity?, phase: Phase) {
            self.name = name
            self.process = process
            self.phase = phase
        }

        var hasChannel: Bool {
            if case .channel = phase { return true }
            return false
        }
    }

    /// The first wait before a lookup or a connection is tried again, doubled on each failure.
    static let initialBackoffSeconds = 1.0
    /// The longest wait between two tries.
    static let maximumBackoffSeconds = 30.0

    /// The tracked VMs by UUID: the registry's libvirt VMs.
    private(set) var vms: [String: VM] = [:]
    let channels: GuestChannels
    let logger: Logger

    init(channels: GuestChannels, logger: Logger) {
        self.channels = channels
        self.logger = logger
    }

    /// Makes the tracked VMs the libvirt VMs among `records`: a new one (or one whose QEMU process
    /// changed, a restarted domain) is looked up at once; one that left is released.
    mutating func sync(with records: [VMRecord], now: Double) {
        var seen = Set<String>()
        for record in records where record.identity.source == .libvirt {
            guard let uuid = record.identity.uuid else { continue }
            seen.insert(uuid)
            if var vm = vms[uuid] {
                if let old = vm.process, let new = record.identity.process, old != new {
                    release(uuid, reason: "the domain restarted")
                } else {
                    if vm.process == nil { vm.process = record.identity.process }
                    if vm.name != record.name {
                        vm.name = record.name
                        if vm.hasChannel { channels.track(uuid: uuid, name: vm.name, counters: vm.counters) }
                    }
                    vms[uuid] = vm
                    continue
                }
            }
            vms[uuid] = VM(name: record.name, process: record.identity.process, phase: .lookupDue(now))
        }
        for uuid in vms.keys where !seen.contains(uuid) {
            release(uuid, reason: "the domain stopped")
        }
    }

    /// The VMs whose lookup is due now, marked as looking up.
    mutating func takeDueLookups(now: Double) -> [String] {
        var due: [String] = []
        for (uuid, vm) in vms {
            if case .lookupDue(let at) = vm.phase, at <= now {
                due.append(uuid)
                vms[uuid]?.phase = .lookingUp
            }
        }
        return due
    }

    /// Applies what a lookup found for `uuid` (ignored when the VM left meanwhile).
    mutating func apply(_ lookup: GuestChannelLibvirt.Lookup, uuid: String, now: Double) {
        guard var vm = vms[uuid], case .lookingUp = vm.phase else { return }
        let metadata: Logger.Metadata = ["vm": "\(vm.name)", "uuid": "\(uuid)"]
        switch lookup {
        case .socket(let path, let hotplugged):
            if hotplugged {
                logger.info("guest channel hot-plugged", metadata: metadata.merging(["path": "\(path)"]) { $1 })
            }
            vm.phase = .channel(path: path, socket: nil, retryAt: now)
            channels.track(uuid: uuid, name: vm.name, counters: vm.counters)
        case .absent:
            logger.debug("no guest channel declared", metadata: metadata)
            vm.phase = .idle
        case .unusable(let why):
            logger.warning("guest channel declared but not usable", metadata: metadata.merging(["reason": "\(why)"]) { $1 })
            vm.phase = .idle
        case .hotplugFailed(let why):
            logger.warning("guest channel hot-plug refused", metadata: metadata.merging(["reason": "\(why)"]) { $1 })
            vm.phase = .idle
        case .gone:
            // The registry will drop it too; until then, nothing to do.
            vm.phase = .idle
        case .failed(let why):
            logger.debug("guest channel lookup failed; retrying", metadata: metadata.merging(["error": "\(why)"]) { $1 })
            vm.phase = .lookupDue(now + vm.lookupBackoffSeconds)
            vm.lookupBackoffSeconds = min(vm.lookupBackoffSeconds * 2, Self.maximumBackoffSeconds)
        }
        vms[uuid] = vm
    }

    /// Connects the channels due for it, and notes connections made, refused and lost.
    mutating func tendSockets(now: Double, group: any EventLoopGroup) {
        for (uuid, vm) in vms {
            guard case .channel(let path, let socket, let retryAt) = vm.phase else { continue }
            var updated = vm
            let metadata: Logger.Metadata = ["vm": "\(vm.name)", "uuid": "\(uuid)", "path": "\(path)"]
            switch socket?.state {
            case nil:
                guard retryAt <= now else { continue }
                updated.phase = .channel(
                    path: path, socket: GuestChannelSocket.connect(path: path, group: group, counters: vm.counters), retryAt: retryAt)
            case .connecting?:
                continue
            case .connected?:
                guard vm.reported != .connected else { continue }
                logger.info(vm.reported == .lost ? "guest channel connected again" : "guest channel connected", metadata: metadata)
                updated.reported = .connected
                updated.connectBackoffSeconds = Self.initialBackoffSeconds
            case .closed(let why)?:
                // A connection lost is not logged yet: it is most often the domain stopping, which
                // the registry reports next. The next try says whether the channel is unreachable.
                switch vm.reported {
                case .connected:
                    updated.reported = .lost
                case .nothing, .lost:
                    logger.warning("guest channel unreachable; retrying", metadata: metadata.merging(["error": "\(why)"]) { $1 })
                    updated.reported = .unreachable
                case .unreachable:
                    break
                }
                updated.phase = .channel(path: path, socket: nil, retryAt: now + vm.connectBackoffSeconds)
                updated.connectBackoffSeconds = min(vm.connectBackoffSeconds * 2, Self.maximumBackoffSeconds)
            }
            vms[uuid] = updated
        }
    }

    /// Sends each connected VM among `records` the line for its latest sample, once per sample.
    mutating func send(_ records: [VMRecord], line: GuestChannelLine) {
        for record in records {
            guard let uuid = record.identity.uuid, let vm = vms[uuid], case .channel(_, let socket?, _) = vm.phase,
                socket.state == .connected, let sampledAt = record.effectiveUsage?.sampledAtUnixSeconds,
                sampledAt != vm.lastSampledAt, let text = line.text(for: record)
            else { continue }
            socket.send(text)
            vms[uuid]?.lastSampledAt = sampledAt
        }
    }

    /// Lets every channel go (the agent is stopping).
    mutating func releaseAll() {
        for uuid in Array(vms.keys) {
            release(uuid, reason: "the agent is stopping")
        }
    }

    /// Closes the VM's channel, if it has one, logs that once, and forgets the VM.
    private mutating func release(_ uuid: String, reason: String) {
        guard let vm = vms.removeValue(forKey: uuid) else { return }
        guard case .channel(let path, let socket, _) = vm.phase else { return }
        socket?.close()
        channels.forget(uuid: uuid)
        logger.info("guest channel released", metadata: ["vm": "\(vm.name)", "uuid": "\(uuid)", "path": "\(path)", "reason": "\(reason)"])
    }
}
