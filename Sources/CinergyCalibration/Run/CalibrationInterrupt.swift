import CinergySystem
import Synchronization

/// SIGINT and SIGTERM during a calibration: the handler only records the signal (an atomic store,
/// safe in a signal handler); the load threads and the run loop check it and stop.
public enum CalibrationInterrupt {
    private static let received = Atomic<Int32>(0)

    /// The signal received, or nil.
    public static var signal: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Installs the handler for SIGINT and SIGTERM (`sigaction`).
    public static func install() {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { signal in CalibrationInterrupt.record(signal) }
        #else
        action.sa_handler = { signal in CalibrationInterrupt.record(signal) }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        _ = sigaction(SIGINT, &action, nil)
        _ = sigaction(SIGTERM, &action, nil)
    }

    static func record(_ signal: Int32) {
        received.store(signal, ordering: .relaxed)
    }

    /// For tests: acts as if `signal` had been received (0 clears it).
    public static func simulate(_ signal: Int32) {
        received.store(signal, ordering: .relaxed)
    }
}
