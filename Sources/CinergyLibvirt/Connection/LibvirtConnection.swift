import CLibvirt
import Logging
import Synchronization

/// A libvirt connection, read-only unless asked otherwise, that reports domain lifecycle events.
///
/// ``open(uri:access:domainEvents:eventLoop:logger:)`` starts the process-wide
/// ``LibvirtEventLoop``, opens the connection with `virConnectOpenReadOnly()` (or
/// `virConnectOpen()` for ``Access/readWrite``), asks for keepalives, and registers a close
/// callback and (unless told not to) a lifecycle event callback whose output arrives on
/// ``notifications``. ``close()`` (or `deinit`) deregisters both callbacks and closes the connection.
///
/// Thread safety: `@unchecked Sendable` because it holds a C `virConnectPtr`. libvirt
/// connections may be used from several threads at once; this class keeps the pointer behind a
/// `Mutex` and takes a libvirt reference (`virConnectRef()`) for the length of every call, so
/// ``close()`` racing with a query never frees the connection under it.
///
/// Blocking: every method except ``notifications`` calls libvirt synchronously, which for a
/// daemon URI means a round trip over a socket. Call them from a dedicated thread or dispatch
/// queue, not from the Swift concurrency cooperative pool.
public final class LibvirtConnection: @unchecked Sendable {
    /// A `virConnectPtr`; libvirt allows its use from any thread.
    struct Pointer: @unchecked Sendable {
        let raw: OpaquePointer
    }

    private struct State {
        /// Nil once closed.
        var pointer: Pointer?
        /// The `virConnectDomainEventRegisterAny()` callback ID, while registered.
        var lifecycleCallbackID: Int32?
        /// Whether `virConnectRegisterCloseCallback()` succeeded and is not yet undone.
        var isCloseCallbackRegistered = false
    }

    /// What a connection may do.
    public enum Access: Sendable, Hashable {
        /// `virConnectOpenReadOnly()`: list and read domains, follow events. What the agent uses.
        case readOnly
        /// `virConnectOpen()`: also change domains (the guest channel's opt-in hot-plug). Needs
        /// the right to manage libvirt (root, or the `libvirt` group on Debian).
        case readWrite
    }

    /// Keepalive interval passed to `virConnectSetKeepAlive()`, in seconds.
    public static let keepAliveIntervalSeconds: Int32 = 5
    /// Unanswered keepalives after which libvirt closes the connection.
    public static let keepAliveCount: UInt32 = 3

    /// The URI this connection was opened with.
    public let uri: String

    /// Lifecycle events and the close notification, in the order libvirt raised them.
    ///
    /// Single consumer, unbounded buffer: consume it for the life of the connection. It finishes
    /// after ``Notification/closed(_:)`` or when ``close()`` is called.
    public let notifications: AsyncStream<Notification>

    let continuation: AsyncStream<Notification>.Continuation
    /// The close callback's context; owned here, see ``NotificationSink``.
    let closeSink: NotificationSink
    let logger: Logger
    private let state: Mutex<State>

    private init(uri: String, pointer: OpaquePointer, logger: Logger) {
        self.uri = uri
        self.logger = logger
        self.state = Mutex(State(pointer: Pointer(raw: pointer)))
        (notifications, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        closeSink = NotificationSink(continuation: continuation)
    }

    deinit {
        close()
    }

    /// Opens a connection to `uri` (for example `qemu:///system` or `test:///default`), read-only
    /// unless `access` says otherwise.
    ///
    /// Starts `eventLoop` first, then wraps `virConnectOpenReadOnly()` (or `virConnectOpen()`),
    /// `virConnectSetKeepAlive(conn, 5, 3)` (drivers without keepalive, such as the test
    /// driver, are accepted), `virConnectRegisterCloseCallback()` and, with `domainEvents`,
    /// `virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, ...)`.
    /// Without `domainEvents`, ``notifications`` only ever reports the connection's close (so a
    /// connection used for queries alone buffers nothing). Blocks while libvirt connects.
    public static func open(
        uri: String,
        access: Access = .readOnly,
        domainEvents: Bool = true,
        eventLoop: LibvirtEventLoop = .shared,
        logger: Logger = Logger(label: "cinergy.libvirt")
    ) throws -> LibvirtConnection {
        try eventLoop.start()
        let opened: OpaquePointer?
        switch access {
        case .readOnly: opened = virConnectOpenReadOnly(uri)
        case .readWrite: opened = virConnectOpen(uri)
        }
        guard let pointer = opened else {
            throw LibvirtError.last(from: access == .readOnly ? "virConnectOpenReadOnly" : "virConnectOpen")
        }
        let connection = LibvirtConnection(uri: uri, pointer: pointer, logger: logger)
        do {
            try connection.setUp(pointer, domainEvents: domainEvents)
        } catch {
            connection.close()
            throw error
        }
        logger.debug("libvirt connection open", metadata: ["uri": "\(uri)"])
        return connection
    }

    /// Keepalive and callbacks, right after opening.
    private func setUp(_ pointer: OpaquePointer, domainEvents: Bool) throws {
        if virConnectSetKeepAlive(pointer, Self.keepAliveIntervalSeconds, Self.keepAliveCount) < 0 {
            let error = LibvirtError.last(from: "virConnectSetKeepAlive")
            guard error.isUnsupported else {
                throw error
            }
            logger.debug("libvirt driver has no keepalive", metadata: ["uri": "\(uri)"])
        }
        try registerCloseCallback(pointer)
        state.withLock { $0.isCloseCallbackRegistered = true }
        guard domainEvents else {
            return
        }
        let callbackID = try registerLifecycleCallback(pointer)
        state.withLock { $0.lifecycleCallbackID = callbackID }
    }

    /// Whether the connection is open and libvirt considers it alive. Wraps `virConnectIsAlive()`;
    /// false once closed or when libvirt reports an error.
    public var isAlive: Bool {
        (try? withPointer("virConnectIsAlive") { virConnectIsAlive($0) == 1 }) ?? false
    }

    /// Deregisters the callbacks, closes the connection and finishes ``notifications``.
    ///
    /// Wraps `virConnectDomainEventDeregisterAny()`, `virConnectUnregisterCloseCallback()` and
    /// `virConnectClose()`. Idempotent. Calls still running on other threads finish first: they
    /// hold their own reference. Must not be called from a libvirt callback.
    public func close() {
        let closing = state.withLock { state -> (Pointer, Int32?, Bool)? in
            guard let pointer = state.pointer else {
                return nil
            }
            defer { state = State() }
            return (pointer, state.lifecycleCallbackID, state.isCloseCallbackRegistered)
        }
        guard let (pointer, lifecycleCallbackID, isCloseCallbackRegistered) = closing else {
            return
        }
        if let lifecycleCallbackID, virConnectDomainEventDeregisterAny(pointer.raw, lifecycleCallbackID) < 0 {
            let error = LibvirtError.last(from: "virConnectDomainEventDeregisterAny")
            logger.debug("could not deregister the lifecycle callback", metadata: ["error": "\(error)"])
        }
        if isCloseCallbackRegistered {
            do {
                try unregisterCloseCallback(pointer.raw)
            } catch {
                logger.warning("could not unregister the close callback", metadata: ["error": "\(error)"])
            }
        }
        if virConnectClose(pointer.raw) < 0 {
            let error = LibvirtError.last(from: "virConnectClose")
            logger.debug("virConnectClose failed", metadata: ["error": "\(error)"])
        }
        continuation.finish()
        logger.debug("libvirt connection closed", metadata: ["uri": "\(uri)"])
    }

    /// Runs `body` with the connection pointer, holding a libvirt reference on it
    /// (`virConnectRef()`, released with `virConnectClose()`) for the duration.
    ///
    /// Throws ``LibvirtError`` (`VIR_ERR_INVALID_CONN`) naming `function` when already closed.
    func withPointer<Value>(_ function: String, _ body: (OpaquePointer) throws -> Value) throws -> Value {
        let pointer = state.withLock { state -> Pointer? in
            guard let pointer = state.pointer, virConnectRef(pointer.raw) == 0 else {
                return nil
            }
            return pointer
        }
        guard let pointer else {
            throw LibvirtError.connectionClosed(function: function)
        }
        defer { virConnectClose(pointer.raw) }
        return try body(pointer.raw)
    }
}
