import CLibvirt
import CinergyCore
import CinergySystem
import Logging
import Synchronization

/// The process-wide libvirt event loop: libvirt's default event implementation driven by a
/// dedicated thread.
///
/// libvirt delivers domain events, close callbacks and keepalive messages only while something
/// runs its event loop. ``start()`` calls `virInitialize()` and `virEventRegisterDefaultImpl()`
/// once per process, then starts a ``SystemThread`` that loops on `virEventRunDefaultImpl()` for
/// the life of the process (libvirt's default implementation is global, and the agent never stops
/// following events).
///
/// The loop must run before any connection opens (registering the event implementation after
/// `virConnectOpen*` loses events); ``LibvirtConnection/open(uri:access:domainEvents:eventLoop:logger:)`` starts it.
/// There is a single instance, ``shared``, because libvirt's default implementation is global.
public final class LibvirtEventLoop: Sendable {
    /// The one event loop of this process, started on first use.
    public static let shared = LibvirtEventLoop(logger: Logger(label: "cinergy.libvirt"))

    /// The loop thread, once started.
    private let thread = Mutex<SystemThread?>(nil)
    private let logger: Logger

    private init(logger: Logger) {
        self.logger = logger
    }

    /// True once ``start()`` has succeeded.
    public var isRunning: Bool {
        thread.withLock { $0 != nil }
    }

    /// Starts the loop thread unless it runs already; cheap and idempotent.
    ///
    /// The first successful call loads libvirt's library, wraps `virInitialize()`, installs an
    /// error handler with `virSetErrorFunc()` (libvirt then stops printing errors to stderr; its
    /// messages go to this loop's `Logger` at debug level, since callers get them as thrown
    /// ``LibvirtError``s), calls `virEventRegisterDefaultImpl()` and starts a thread looping on
    /// `virEventRunDefaultImpl()`. A call that fails can be retried.
    public func start() throws {
        // The libvirt calls below are quick and non-blocking; making them under the lock keeps
        // registration and thread start atomic when several connections open at once.
        let started = try thread.withLock { thread -> Bool in
            if thread != nil {
                return false
            }
            try Self.registerDefaultImplementation(logger: logger)
            thread = SystemThread(name: "libvirt-events") { [logger] in
                Self.loop(logger: logger)
            }
            return true
        }
        if started {
            logger.debug("libvirt event loop started")
        }
    }

    /// The body of the loop thread: runs libvirt's event loop, never returns.
    private static func loop(logger: Logger) {
        while true {
            if virEventRunDefaultImpl() < 0 {
                let error = LibvirtError.last(from: "virEventRunDefaultImpl")
                logger.error("libvirt event loop iteration failed", metadata: ["error": "\(error)"])
                // Do not spin if the failure repeats.
                usleep(100_000)
            }
        }
    }

    /// Loads libvirt (``LibvirtLibrary/load()``), then `virInitialize()`, `virSetErrorFunc()` and
    /// `virEventRegisterDefaultImpl()`.
    private static func registerDefaultImplementation(logger: Logger) throws {
        try LibvirtLibrary.load()
        guard virInitialize() == 0 else {
            throw LibvirtError.last(from: "virInitialize")
        }
        // Retained for the life of the process: libvirt keeps the pointer as the handler's user data.
        let sink = Unmanaged.passRetained(ErrorLogSink(logger: logger)).toOpaque()
        virSetErrorFunc(sink) { userData, error in
            guard let userData, let error else {
                return
            }
            let sink = Unmanaged<ErrorLogSink>.fromOpaque(userData).takeUnretainedValue()
            sink.log(error.pointee)
        }
        guard virEventRegisterDefaultImpl() == 0 else {
            throw LibvirtError.last(from: "virEventRegisterDefaultImpl")
        }
    }
}

/// Receives every error libvirt raises, on the raising thread, instead of libvirt's default
/// printing to stderr.
private final class ErrorLogSink: Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func log(_ error: virError) {
        let message = error.message.map { String(cString: $0) } ?? "unknown libvirt error"
        logger.debug(
            "libvirt: \(message)",
            metadata: ["libvirt.code": "\(error.code)", "libvirt.domain": "\(error.domain)"]
        )
    }
}
