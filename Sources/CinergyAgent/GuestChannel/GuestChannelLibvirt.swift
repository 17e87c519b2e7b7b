import CinergyCore
import CinergyLibvirt
import CinergySystem
import Logging
import Synchronization

/// The guest channel's side of libvirt: reads a domain's live XML for the socket of its channel
/// `org.cinergy.power.0` over a read-only connection and, when hot-plug is on, attaches the channel
/// to a domain that lacks it over a read-write connection.
///
/// Every libvirt call runs on one ``WorkerThread`` of its own, one after another. Each connection
/// opens on first use (without lifecycle events: the registry says which domains run), and is
/// dropped when a call finds it dead, to be opened again by the next call (after a libvirtd
/// restart, say).
final class GuestChannelLibvirt: Sendable {
    /// What a lookup found for one domain.
    enum Lookup: Sendable, Equatable {
        /// The domain has the channel, on a socket QEMU listens on; `hotplugged` when the agent
        /// has just attached it.
        case socket(path: String, hotplugged: Bool)
        /// The domain has no such channel, and hot-plug is off.
        case absent
        /// The domain declares the port, but not on a Unix socket QEMU listens on (`why`).
        case unusable(String)
        /// Hot-plug was tried and libvirt refused (`why`); not tried again while the domain runs.
        case hotplugFailed(String)
        /// libvirt does not know the domain (any more).
        case gone
        /// libvirt could not be asked (down, restarting: `why`); ask again later.
        case failed(String)
    }

    /// The device the agent hot-plugs: what an operator would declare.
    static let channelXML =
        "<channel type='unix'><source mode='bind'/><target type='virtio' name='\(GuestChannelLine.portName)'/></channel>"

    let uri: String
    let hotplug: Bool
    private let logger: Logger
    private let worker = WorkerThread(name: "cinergy-channel")
    private let connections = Mutex<(readOnly: LibvirtConnection?, readWrite: LibvirtConnection?)>((nil, nil))

    init(uri: String, hotplug: Bool, logger: Logger) {
        self.uri = uri
        self.hotplug = hotplug
        self.logger = logger
    }

    /// Looks the domain `uuid` up (and, with hot-plug, attaches its channel), on the worker thread.
    func lookup(uuid: String) async -> Lookup {
        await worker.run { [self] in lookupOnWorker(uuid: uuid) }
    }

    /// Closes the connections, on the worker thread.
    func close() async {
        let open = connections.withLock { connections in
            defer { connections = (nil, nil) }
            return [connections.readOnly, connections.readWrite].compactMap { $0 }
        }
        await worker.run { open.forEach { $0.close() } }
    }

    private func lookupOnWorker(uuid: String) -> Lookup {
        let devices: DomainDevices
        switch read(uuid: uuid) {
        case .success(let found?): devices = found
        case .success(nil): return .gone
        case .failure(let failure): return failure.lookup
        }
        if let channel = devices.channel(named: GuestChannelLine.portName) {
            guard channel.isListeningVirtioSocket, let path = channel.sourcePath else {
                return .unusable(
                    "the channel is <channel type='\(channel.type ?? "")'> with <source mode='\(channel.sourceMode ?? "")'>; "
                        + "the agent connects only to type='unix' mode='bind' (QEMU listening)")
            }
            return .socket(path: path, hotplugged: false)
        }
        guard hotplug else { return .absent }
        do {
            // libvirt has just answered on the read-only connection: a read-write one it refuses
            // is a matter of rights, not of libvirtd being away.
            let readWrite = try connection(.readWrite)
            guard try readWrite.attachDeviceLive(uuid: uuid, deviceXML: Self.channelXML) else { return .gone }
        } catch {
            dropIfDead(.readWrite)
            return .hotplugFailed(
                devices.hasVirtioSerialController ? "\(error)" : "\(error) (the domain has no virtio-serial controller)")
        }
        switch read(uuid: uuid) {
        case .success(let found?):
            guard let channel = found.channel(named: GuestChannelLine.portName), channel.isListeningVirtioSocket,
                let path = channel.sourcePath
            else { return .hotplugFailed("attached, but the live XML shows no listening socket for it") }
            return .socket(path: path, hotplugged: true)
        case .success(nil): return .gone
        case .failure(let failure): return failure.lookup
        }
    }

    /// Why a read did not give the domain's devices.
    private struct ReadFailure: Error {
        var lookup: Lookup
    }

    /// The domain's devices from its live XML; nil when libvirt does not know the domain.
    private func read(uuid: String) -> Result<DomainDevices?, ReadFailure> {
        do {
            guard let xml = try connection(.readOnly).liveXML(uuid: uuid) else { return .success(nil) }
            guard let devices = DomainDevices(domainXML: xml) else {
                return .failure(ReadFailure(lookup: .failed("libvirt's XML for the domain is not a readable <domain>")))
            }
            return .success(devices)
        } catch {
            dropIfDead(.readOnly)
            return .failure(ReadFailure(lookup: .failed("\(error)")))
        }
    }

    /// The open connection of that access, opened now when there is none. On the worker thread.
    private func connection(_ access: LibvirtConnection.Access) throws -> LibvirtConnection {
        if let open = connections.withLock({ access == .readOnly ? $0.readOnly : $0.readWrite }) {
            return open
        }
        let opened = try LibvirtConnection.open(uri: uri, access: access, domainEvents: false, logger: logger)
        connections.withLock { connections in
            if access == .readOnly { connections.readOnly = opened } else { connections.readWrite = opened }
        }
        return opened
    }

    /// Drops the connection of that access when libvirt says it is dead (`virConnectIsAlive`), so
    /// the next call opens a new one. On the worker thread.
    private func dropIfDead(_ access: LibvirtConnection.Access) {
        let current = connections.withLock { access == .readOnly ? $0.readOnly : $0.readWrite }
        guard let current, !current.isAlive else { return }
        connections.withLock { connections in
            if access == .readOnly, connections.readOnly === current { connections.readOnly = nil }
            if access == .readWrite, connections.readWrite === current { connections.readWrite = nil }
        }
        current.close()
    }
}
