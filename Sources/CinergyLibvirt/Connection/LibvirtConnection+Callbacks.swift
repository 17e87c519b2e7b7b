import CLibvirt
import Synchronization

/// The context libvirt hands back to this module's C callbacks: where notifications go.
///
/// For the lifecycle callback it is passed as an `Unmanaged` retained pointer and released by
/// `releaseNotificationSink`, libvirt's free callback. The close callback gets an unretained
/// pointer to a sink its ``LibvirtConnection`` owns instead: since libvirt 8.x,
/// `virConnectRegisterCloseCallback()` on a driver without close callbacks (the test driver,
/// embedded drivers) returns success without keeping the callback, so its free callback would
/// never run and a retained context would leak.
final class NotificationSink: Sendable {
    let continuation: AsyncStream<LibvirtConnection.Notification>.Continuation
    /// Set by the close callback; libvirt drops a close callback's context once it has called it.
    let hasSeenClose = Atomic<Bool>(false)

    init(continuation: AsyncStream<LibvirtConnection.Notification>.Continuation) {
        self.continuation = continuation
    }

    /// A retained context pointer for a registration; balanced by `releaseNotificationSink`,
    /// or by ``release(_:)`` when the registration fails.
    func retainedPointer() -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(self).toOpaque()
    }

    /// Balances ``retainedPointer()`` after a failed registration (libvirt then does not call
    /// the free callback).
    static func release(_ pointer: UnsafeMutableRawPointer) {
        Unmanaged<NotificationSink>.fromOpaque(pointer).release()
    }

    static func from(_ pointer: UnsafeMutableRawPointer) -> NotificationSink {
        Unmanaged<NotificationSink>.fromOpaque(pointer).takeUnretainedValue()
    }
}

extension LibvirtConnection {
    /// Wraps `virConnectRegisterCloseCallback()`, with ``closeSink`` as an unretained context and
    /// no free callback (see ``NotificationSink``).
    func registerCloseCallback(_ pointer: OpaquePointer) throws {
        let context = Unmanaged.passUnretained(closeSink).toOpaque()
        guard virConnectRegisterCloseCallback(pointer, connectionClosedCallback, context, nil) == 0 else {
            throw LibvirtError.last(from: "virConnectRegisterCloseCallback")
        }
    }

    /// Wraps `virConnectUnregisterCloseCallback()`. Once it returns the callback is not running
    /// and never runs again.
    ///
    /// Skipped when the callback has already run: libvirt then has already dropped the context
    /// and its connection reference by itself. On any other failure libvirt may still hold the
    /// context, so ``closeSink`` is deliberately leaked (retained once more, never released) and
    /// the error thrown.
    func unregisterCloseCallback(_ pointer: OpaquePointer) throws {
        if closeSink.hasSeenClose.load(ordering: .acquiring) {
            return
        }
        guard virConnectUnregisterCloseCallback(pointer, connectionClosedCallback) == 0 else {
            let error = LibvirtError.last(from: "virConnectUnregisterCloseCallback")
            if closeSink.hasSeenClose.load(ordering: .acquiring) {
                return
            }
            _ = Unmanaged.passRetained(closeSink)
            throw error
        }
    }

    /// Wraps `virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, ...)`
    /// through the shim's `cinergy_register_lifecycle_callback`. Returns the callback ID.
    func registerLifecycleCallback(_ pointer: OpaquePointer) throws -> Int32 {
        let context = NotificationSink(continuation: continuation).retainedPointer()
        let callbackID = cinergy_register_lifecycle_callback(
            pointer, lifecycleEventCallback, context, releaseNotificationSink)
        guard callbackID >= 0 else {
            let error = LibvirtError.last(from: "virConnectDomainEventRegisterAny")
            NotificationSink.release(context)
            throw error
        }
        return callbackID
    }
}

// The C callbacks below run on the libvirt event-loop thread. They only copy what they need from
// their arguments and yield it; they never call a libvirt function that could block.

/// `virConnectDomainEventCallback` for `VIR_DOMAIN_EVENT_ID_LIFECYCLE`. The `virDomainPtr` is
/// valid only during the call: name, UUID and ID are copied out of it.
private func lifecycleEventCallback(
    _ connection: OpaquePointer?,
    _ domain: OpaquePointer?,
    _ event: Int32,
    _ detail: Int32,
    _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard let domain, let context, let uuid = DomainPointer.uuid(domain) else {
        return 0
    }
    let event = DomainEvent(
        name: DomainPointer.name(domain),
        uuid: uuid,
        id: DomainPointer.id(domain),
        kind: DomainEventKind(rawValue: event),
        detail: detail
    )
    NotificationSink.from(context).continuation.yield(.event(event))
    return 0
}

/// `virConnectCloseFunc`: libvirt lost the connection. Reports why and ends the stream.
private func connectionClosedCallback(
    _ connection: OpaquePointer?,
    _ reason: Int32,
    _ context: UnsafeMutableRawPointer?
) {
    guard let context else {
        return
    }
    let sink = NotificationSink.from(context)
    sink.hasSeenClose.store(true, ordering: .releasing)
    sink.continuation.yield(.closed(LibvirtConnection.CloseReason(rawValue: reason)))
    sink.continuation.finish()
}

/// `virFreeCallback` for the lifecycle registration: balances `NotificationSink.retainedPointer()`.
private func releaseNotificationSink(_ context: UnsafeMutableRawPointer?) {
    guard let context else {
        return
    }
    NotificationSink.release(context)
}
