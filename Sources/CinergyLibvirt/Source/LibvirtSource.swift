public import CinergyCore
import CinergySystem
public import Logging
public import ServiceLifecycle

/// Keeps the registry's libvirt VMs current from libvirt's domain events: the authoritative VM
/// source on hosts where libvirt manages QEMU.
///
/// On connect it lists the active domains and reconciles the registry with them; then lifecycle
/// events add, pause, rename and remove VMs as they happen, and every refresh interval the live
/// vCPU counts are read (libvirt has no event for vCPU hot-plug). When libvirtd goes away, or is
/// not there at start-up, the source logs it once, reports itself unavailable in `/health`, and
/// retries with capped exponential backoff; the procfs scan meanwhile keeps finding QEMUs. Every
/// libvirt call, and every search of procfs for a domain's QEMU, runs on a dedicated thread (a
/// ``WorkerThread``), so nothing else ever waits on libvirt and no blocking call holds a thread of
/// the cooperative pool.
public struct LibvirtSource: Service, CustomStringConvertible {
    public struct Configuration: Sendable {
        /// The libvirt URI, such as `qemu:///system`.
        public var uri: String
        /// Finds the QEMU process behind a domain.
        public var locator: QEMUProcessLocator
        /// Seconds between vCPU-count refreshes (the sample interval).
        public var refreshIntervalSeconds: Double
        /// The first and the largest wait between reconnection attempts, in seconds.
        public var initialBackoffSeconds: Double
        public var maximumBackoffSeconds: Double

        public init(
            uri: String,
            locator: QEMUProcessLocator,
            refreshIntervalSeconds: Double = 1,
            initialBackoffSeconds: Double = 0.5,
            maximumBackoffSeconds: Double = 30
        ) {
            self.uri = uri
            self.locator = locator
            self.refreshIntervalSeconds = refreshIntervalSeconds
            self.initialBackoffSeconds = initialBackoffSeconds
            self.maximumBackoffSeconds = maximumBackoffSeconds
        }
    }

    public let registry: VMRegistry
    public let configuration: Configuration
    public let logger: Logger
    private let worker = WorkerThread(name: "cinergy-libvirt")

    public init(registry: VMRegistry, configuration: Configuration, logger: Logger) {
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
    }

    public var description: String { "LibvirtSource(\(configuration.uri))" }

    public func run() async throws {
        registry.setStatus(SourceStatus(available: false, detail: configuration.uri), for: .libvirt)
        await cancelWhenGracefulShutdown {
            await connectLoop()
        }
    }

    // MARK: Connection

    private func connectLoop() async {
        var backoff = configuration.initialBackoffSeconds
        var reportedDown = false
        let uri = configuration.uri
        let logger = logger
        while !Task.isCancelled {
            do {
                let connection = try await worker.run { try LibvirtConnection.open(uri: uri, logger: logger) }
                logger.info("libvirt connected", metadata: ["uri": "\(uri)"])
                backoff = configuration.initialBackoffSeconds
                reportedDown = false
                let ended = await session(connection)
                await worker.run { connection.close() }
                if Task.isCancelled { return }
                setUnavailable(ended)
                logger.warning(
                    "libvirt connection lost; serving VMs from the procfs scan and reconnecting",
                    metadata: ["uri": "\(uri)", "reason": "\(ended)"]
                )
                reportedDown = true
            } catch {
                setUnavailable("\(error)")
                if reportedDown {
                    logger.debug("libvirt still unreachable", metadata: ["uri": "\(uri)", "error": "\(error)"])
                } else {
                    logger.warning(
                        "libvirt is unreachable; serving VMs from the procfs scan and retrying",
                        metadata: ["uri": "\(uri)", "error": "\(error)"]
                    )
                    reportedDown = true
                }
            }
            do {
                try await Task.sleep(for: .milliseconds(Int(backoff * 1000)))
            } catch {
                return
            }
            backoff = min(backoff * 2, configuration.maximumBackoffSeconds)
        }
    }

    /// Serves one connection: resync, then events and refreshes until the connection ends.
    /// Returns why it ended.
    private func session(_ connection: LibvirtConnection) async -> String {
        do {
            try await resync(connection)
        } catch {
            return "resync failed: \(error)"
        }
        return await withTaskGroup(of: String.self) { group in
            group.addTask {
                for await notification in connection.notifications {
                    switch notification {
                    case .event(let event):
                        await handle(event, connection: connection)
                    case .closed(let reason):
                        return "closed by libvirt (\(reason))"
                    }
                }
                return "event stream ended"
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: .milliseconds(Int(configuration.refreshIntervalSeconds * 1000)))
                        try await refresh(connection)
                    } catch is CancellationError {
                        return "cancelled"
                    } catch {
                        let alive = await worker.run { connection.isAlive }
                        if !alive { return "connection dead: \(error)" }
                        logger.debug("libvirt refresh failed", metadata: ["error": "\(error)"])
                    }
                }
                return "cancelled"
            }
            let reason = await group.next() ?? "cancelled"
            group.cancelAll()
            return reason
        }
    }

    private func setUnavailable(_ error: String) {
        let previous = registry.status().sources[.libvirt]
        registry.setStatus(
            SourceStatus(
                available: false, lastUpdateUnixSeconds: previous?.lastUpdateUnixSeconds, detail: configuration.uri,
                lastError: error
            ),
            for: .libvirt
        )
    }

    private func markAlive() {
        registry.setStatus(
            SourceStatus(available: true, lastUpdateUnixSeconds: SystemClock.unixSeconds(), detail: configuration.uri),
            for: .libvirt
        )
    }

    // MARK: Registry updates

    /// Lists the active domains and makes them the registry's libvirt VMs.
    private func resync(_ connection: LibvirtConnection) async throws {
        let identities = try await worker.run { try connection.activeDomains().compactMap(identity(of:)) }
        let changes = registry.reconcile(source: .libvirt, observed: identities, nowUnixSeconds: SystemClock.unixSeconds()).changes
        markAlive()
        log(changes, reason: "resync")
    }

    /// Applies one lifecycle event.
    func handle(_ event: DomainEvent, connection: LibvirtConnection) async {
        logger.debug("libvirt event", metadata: ["event": "\(event)"])
        switch event.kind {
        case .started, .resumed, .suspended, .pmsuspended:
            await refreshDomain(uuid: event.uuid, connection: connection, reason: "\(event.kind)")
        case .defined where event.isRename:
            await refreshDomain(uuid: event.uuid, connection: connection, reason: "renamed")
        case .stopped, .crashed:
            remove(uuid: event.uuid, reason: "\(event.kind)")
        case .undefined where !event.isRename:
            // Undefining a running domain leaves it running (transient): keep it while it runs.
            await refreshDomain(uuid: event.uuid, connection: connection, reason: "undefined")
        default:
            break
        }
        markAlive()
    }

    private func refreshDomain(uuid: String, connection: LibvirtConnection, reason: String) async {
        do {
            if let identity = try await worker.run({ try connection.domain(uuid: uuid).flatMap(identity(of:)) }) {
                log(registry.upsert(identity, nowUnixSeconds: SystemClock.unixSeconds()), reason: reason)
            } else {
                remove(uuid: uuid, reason: "\(reason), then gone")
            }
        } catch {
            logger.warning("cannot read a libvirt domain", metadata: ["uuid": "\(uuid)", "error": "\(error)"])
        }
    }

    private func remove(uuid: String, reason: String) {
        if let removed = registry.remove(key: .domain(uuid: uuid)) {
            log(RegistryChanges(removed: [removed]), reason: reason)
        }
    }

    /// Every refresh interval: live vCPU counts (hot-plug has no event) and processes not found yet.
    private func refresh(_ connection: LibvirtConnection) async throws {
        let counts = try await worker.run { try connection.vcpuCounts() }
        let located = await locateMissingProcesses()
        // No suspension from here on: the records are applied as read.
        let now = SystemClock.unixSeconds()
        for record in registry.records() where record.identity.source == .libvirt {
            var identity = record.identity
            if let uuid = identity.uuid, let count = counts[uuid] { identity.vcpus = count }
            if identity.process == nil, let uuid = identity.uuid, let process = located[uuid] {
                identity.process = process
            }
            if identity != record.identity {
                log(registry.upsert(identity, nowUnixSeconds: now), reason: "refresh")
            }
        }
    }

    /// The QEMU processes of the libvirt VMs whose process is not known yet, by UUID: searched for
    /// in procfs on the worker thread.
    private func locateMissingProcesses() async -> [String: ProcessIdentity] {
        let missing = registry.records().compactMap { record -> (name: String, uuid: String)? in
            guard record.identity.source == .libvirt, record.identity.process == nil, let uuid = record.identity.uuid else {
                return nil
            }
            return (record.identity.name, uuid)
        }
        guard !missing.isEmpty else { return [:] }
        let locator = configuration.locator
        return await worker.run {
            var located: [String: ProcessIdentity] = [:]
            for (name, uuid) in missing {
                located[uuid] = locator.locate(name: name, uuid: uuid)?.process
            }
            return located
        }
    }

    /// The registry identity of an active domain; nil for one that is neither running nor paused.
    /// Reads procfs (the domain's QEMU process): call it on the worker thread.
    func identity(of info: DomainInfo) -> VMIdentity? {
        let state: VMState
        switch info.state {
        case .running: state = .running
        case .paused: state = .paused
        case .other: return nil
        }
        let located = configuration.locator.locate(name: info.name, uuid: info.uuid)
        return VMIdentity(
            name: info.name,
            uuid: info.uuid,
            process: located?.process,
            vcpus: info.vcpusCurrent ?? located?.commandLine.vcpus ?? 1,
            source: .libvirt,
            state: state,
            nova: info.novaInstanceXML.flatMap(NovaInstance.init(xml:))
        )
    }

    private func log(_ changes: RegistryChanges, reason: String) {
        changes.log(to: logger, reason: reason, registry: registry)
    }
}
