import CLibvirt
import Dispatch
import Foundation
import Logging
import Synchronization

/// The process-wide libvirt event loop: libvirt's default event implementation driven by a
/// dedicated thread.
///
/// libvirt delivers domain events, close callbacks and keepalive messages only while something
/// runs its event loop. ``start()`` calls `virInitialize()` and `virEventRegisterDefaultImpl()`
/// once per process, then starts a Foundation `Thread` that loops on `virEventRunDefaultImpl()`.
/// A periodic timeout registered with `virEventAddTimeout()` wakes that thread up at least every
/// ``wakeUpIntervalMilliseconds`` so that it notices ``stop()``.
///
/// The loop must run before any connection opens (registering the event implementation after
/// `virConnectOpen*` loses events); ``LibvirtConnection/open(uri:eventLoop:logger:)`` starts it.
/// There is a single instance, ``shared``, because libvirt's default implementation is global.
public final class LibvirtEventLoop: Sendable {
    /// The one event loop of this process, started on first use.
    public static let shared = LibvirtEventLoop(logger: Logger(label: "cinergy.libvirt"))

    /// The longest time, in milliseconds, the loop thread sleeps in `virEventRunDefaultImpl()`
    /// when libvirt has nothing to do.
    public static let wakeUpIntervalMilliseconds: Int32 = 1000

    /// One run of the loop thread, from ``start()`` to ``stop()``.
    private final class Run: Sendable {
        /// The `virEventAddTimeout()` timer that wakes this run's thread up.
        let timerID: Int32
        /// Set by ``stop()``; the thread exits at its next wake-up.
        let stopRequested = Atomic<Bool>(false)
        /// Signalled when the thread has left the loop.
        let finished = DispatchSemaphore(value: 0)

        init(timerID: Int32) {
            self.timerID = timerID
        }
    }

    private struct State {
        /// `virInitialize()` and `virEventRegisterDefaultImpl()` succeeded (never undone).
        var isRegistered = false
        /// The current run, nil while stopped.
        var run: Run?
        /// The run that was stopped last; a new run's thread waits for it to finish first, so
        /// two threads never iterate the default loop at once.
        var previousRun: Run?
    }

    private let state = Mutex(State())
    private let logger: Logger

    private init(logger: Logger) {
        self.logger = logger
    }

    /// True between ``start()`` and ``stop()``.
    public var isRunning: Bool {
        state.withLock { $0.run != nil }
    }

    /// Starts the loop thread unless it is running; cheap and idempotent.
    ///
    /// The first call per process loads libvirt's library, wraps `virInitialize()`, installs an error handler with
    /// `virSetErrorFunc()` (libvirt then stops printing errors to stderr; its messages go to
    /// this loop's `Logger` at debug level, since callers get them as thrown ``LibvirtError``s)
    /// and calls `virEventRegisterDefaultImpl()`. Each start adds a periodic timeout with
    /// `virEventAddTimeout()` and starts a thread looping on `virEventRunDefaultImpl()`.
    public func start() throws {
        // The libvirt calls below are quick and non-blocking; making them under the lock keeps
        // registration and thread start atomic when several connections open at once.
        let started = try state.withLock { state -> Bool in
            if state.run != nil {
                return false
            }
            if !state.isRegistered {
                try Self.registerDefaultImplementation(logger: logger)
                state.isRegistered = true
            }
            let timerID = virEventAddTimeout(Self.wakeUpIntervalMilliseconds, { _, _ in }, nil, nil)
            guard timerID >= 0 else {
                throw LibvirtError.last(from: "virEventAddTimeout")
            }
            let run = Run(timerID: timerID)
            let previousRun = state.previousRun
            state.run = run
            state.previousRun = nil
            let thread = Thread { [logger] in
                previousRun?.finished.wait()
                Self.loop(run, logger: logger)
            }
            thread.name = "libvirt-event-loop"
            thread.start()
            return true
        }
        if started {
            logger.debug("libvirt event loop started")
        }
    }

    /// Asks the loop thread to exit and returns without waiting for it.
    ///
    /// Wakes the thread at once by rearming its timeout with `virEventUpdateTimeout(timer, 0)`.
    /// Open connections stop receiving events, keepalives and close notifications until the
    /// next ``start()``. Safe to call from any thread, including a libvirt callback.
    public func stop() {
        let run = state.withLock { state -> Run? in
            guard let run = state.run else {
                return nil
            }
            state.run = nil
            state.previousRun = run
            return run
        }
        guard let run else {
            return
        }
        run.stopRequested.store(true, ordering: .releasing)
        virEventUpdateTimeout(run.timerID, 0)
        logger.debug("libvirt event loop stopping")
    }

    /// The body of the loop thread.
    private static func loop(_ run: Run, logger: Logger) {
        while !run.stopRequested.load(ordering: .acquiring) {
            if virEventRunDefaultImpl() < 0 {
                let error = LibvirtError.last(from: "virEventRunDefaultImpl")
                logger.error("libvirt event loop iteration failed", metadata: ["error": "\(error)"])
                // Do not spin if the failure repeats.
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        virEventRemoveTimeout(run.timerID)
        run.finished.signal()
        logger.debug("libvirt event loop stopped")
    }

    /// Loads libvirt (``LibvirtLibrary/load()``), then `virInitialize()`, `virSetErrorFunc()` and
    /// `virEventRegisterDefaultImpl()`, once per process.
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
