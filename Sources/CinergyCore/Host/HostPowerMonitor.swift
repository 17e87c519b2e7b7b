import Synchronization

/// The host's measured power beside the model's prediction for it, and whether the two still
/// agree: a record of comparisons over a sliding window, their mean absolute percentage error,
/// and the drift flag that error raises past a threshold.
///
/// Fed by the meter's own thread (one comparison per meter reading, the host load measured over
/// the same interval as the power); read by HTTP handlers, which never wait on a meter.
public final class HostPowerMonitor: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// How far back the mean error looks, in seconds.
        public var windowSeconds: Double
        /// Mean absolute percentage error above which the model is drifting.
        public var driftThresholdPercent: Double
        /// Comparisons the window must hold before drift is judged.
        public var minimumComparisons: Int

        public init(windowSeconds: Double = 600, driftThresholdPercent: Double = 15, minimumComparisons: Int = 5) {
            self.windowSeconds = windowSeconds
            self.driftThresholdPercent = driftThresholdPercent
            self.minimumComparisons = minimumComparisons
        }
    }

    /// One meter reading beside the model's prediction for the same interval.
    public struct Comparison: Sendable, Equatable {
        /// End of the interval, in seconds since the Unix epoch.
        public var atUnixSeconds: Double
        /// The host's CPU load over the interval, in percent of all CPUs.
        public var hostLoadPercent: Double
        /// What the meter measured, in watts.
        public var measuredWatts: Double
        /// `f(host load)`, in watts.
        public var predictedWatts: Double

        public init(atUnixSeconds: Double, hostLoadPercent: Double, measuredWatts: Double, predictedWatts: Double) {
            self.atUnixSeconds = atUnixSeconds
            self.hostLoadPercent = hostLoadPercent
            self.measuredWatts = measuredWatts
            self.predictedWatts = predictedWatts
        }

        /// The model's error against the meter, in percent of the measured power (positive when
        /// the model predicts more); nil when the meter read 0 W or less.
        public var errorPercent: Double? {
            measuredWatts > 0 ? (predictedWatts - measuredWatts) / measuredWatts * 100 : nil
        }
    }

    /// The meter as the monitor knows it.
    public struct Meter: Sendable, Equatable {
        /// `rapl`, `hwmon` or `ipmi`.
        public var kind: String
        /// What it measures, for people ("CPU package power (RAPL package-0)").
        public var measures: String

        public init(kind: String, measures: String) {
            self.kind = kind
            self.measures = measures
        }
    }

    /// What the monitor holds now.
    public struct Snapshot: Sendable, Equatable {
        /// The meter in use; nil while none is open.
        public var meter: Meter?
        /// Why the meter cannot be read now; nil while it can.
        public var meterError: String?
        /// The comparisons of the window, oldest first.
        public var window: [Comparison]
        /// Energy the meter measured since the agent opened it, in joules.
        public var energyJoules: Double
        /// The mean absolute percentage error over the window; nil without comparisons.
        public var meanAbsolutePercentError: Double?
        /// Whether the model is drifting from the meter.
        public var drifting: Bool
        public var configuration: Configuration

        /// The newest comparison.
        public var latest: Comparison? { window.last }
    }

    /// A change of the drift flag, to be logged once.
    public enum DriftChange: Sendable, Equatable {
        case startedDrifting(meanAbsolutePercentError: Double)
        case recovered(meanAbsolutePercentError: Double)
    }

    private struct State {
        var meter: Meter?
        var meterError: String?
        var window: [Comparison] = []
        var energyJoules: Double = 0
        var drifting = false
    }

    public let configuration: Configuration
    private let state = Mutex(State())

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Sets the meter in use (nil when none could be opened) and why it cannot be read, if so.
    public func setMeter(_ meter: Meter?, error: String? = nil) {
        state.withLock {
            $0.meter = meter
            $0.meterError = error
        }
    }

    /// Records that the meter cannot be read now (nil: it can again). Its comparisons stay.
    public func setMeterError(_ error: String?) {
        state.withLock { $0.meterError = error }
    }

    /// Adds a comparison and the energy measured over its interval; returns the drift flag's
    /// change, if it changed.
    @discardableResult
    public func record(_ comparison: Comparison, energyJoules: Double) -> DriftChange? {
        state.withLock { state in
            state.meterError = nil
            state.energyJoules += max(0, energyJoules)
            state.window.append(comparison)
            let oldest = comparison.atUnixSeconds - configuration.windowSeconds
            if let keep = state.window.firstIndex(where: { $0.atUnixSeconds > oldest }) {
                state.window.removeFirst(keep)
            }
            let errors = state.window.compactMap(\.errorPercent)
            guard errors.count >= configuration.minimumComparisons else { return nil }
            let mape = errors.reduce(0) { $0 + abs($1) } / Double(errors.count)
            let drifting = mape > configuration.driftThresholdPercent
            guard drifting != state.drifting else { return nil }
            state.drifting = drifting
            return drifting ? .startedDrifting(meanAbsolutePercentError: mape) : .recovered(meanAbsolutePercentError: mape)
        }
    }

    public func snapshot() -> Snapshot {
        state.withLock { state in
            let errors = state.window.compactMap(\.errorPercent)
            return Snapshot(
                meter: state.meter,
                meterError: state.meterError,
                window: state.window,
                energyJoules: state.energyJoules,
                meanAbsolutePercentError: errors.isEmpty ? nil : errors.reduce(0) { $0 + abs($1) } / Double(errors.count),
                drifting: state.drifting,
                configuration: configuration
            )
        }
    }
}
