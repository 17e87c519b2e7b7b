public import CinergyCore
import Synchronization

/// The host's measured power beside the model's prediction for it, and whether the two still
/// agree: a record of comparisons over a sliding window, their mean absolute percentage error,
/// and the drift flag that error raises past a threshold. With each reading, the metered share
/// (`MeteredShare`): what the meter says each VM is responsible for, and over the window the
/// cinergy ratio the host actually exhibits.
///
/// The one place the per-VM attributed watts live (`attributedShare(of:)`, `snapshot().share`):
/// HTTP handlers, the metrics and (later) the ledger read them here.
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
        /// The configured cinergy ratio, to weigh over the window as the observed one is; nil: not weighed.
        public var cinergyRatio: CinergyRatio?

        public init(
            windowSeconds: Double = 600, driftThresholdPercent: Double = 15, minimumComparisons: Int = 5, cinergyRatio: CinergyRatio? = nil
        ) {
            self.windowSeconds = windowSeconds
            self.driftThresholdPercent = driftThresholdPercent
            self.minimumComparisons = minimumComparisons
            self.cinergyRatio = cinergyRatio
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
            PercentError.signed(predicted: predictedWatts, actual: measuredWatts)
        }
    }

    /// The meter as the monitor knows it.
    public struct Meter: Sendable, Equatable {
        public var kind: MeterKind
        /// What it measures, for people ("CPU package power (RAPL package-0)").
        public var measures: String

        public init(kind: MeterKind, measures: String) {
            self.kind = kind
            self.measures = measures
        }
    }

    /// The observed cinergy ratio of one VM over the window.
    public struct ObservedRatio: Sendable, Equatable {
        /// Σ attributed dynamic watts over the window's readings.
        public var attributedDynamicWatts: Double
        /// Σ isolated dynamic watts (before the ratio) over the same readings.
        public var isolatedDynamicWatts: Double
        /// attributed / isolated; nil while the isolated dynamic power is 0.
        public var ratio: Double? { isolatedDynamicWatts > 0 ? attributedDynamicWatts / isolatedDynamicWatts : nil }
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
        /// The metered share of the newest reading; nil before the first.
        public var share: MeteredShare?
        /// The cinergy ratio the host exhibits over the window, all VMs together (the ratio of the
        /// sums, so each VM weighs by its dynamic power, i.e. its load); nil without VM load.
        public var observedRatio: ObservedRatio
        /// The same per VM.
        public var observedRatioByVM: [VMKey: ObservedRatio]
        /// The configured ratio over the same readings, weighed the same way: Σ r(host load) ×
        /// isolated dynamic / Σ isolated dynamic (a constant ratio is itself; a curve `r(h)` is
        /// taken at each reading's host load); nil without VM load or `cinergyRatio`.
        public var configuredRatio: Double?
        public var configuration: Configuration

        /// The newest comparison.
        public var latest: Comparison? { window.last }
    }

    /// A change of the drift flag, to be logged once.
    public enum DriftChange: Sendable, Equatable {
        case startedDrifting(meanAbsolutePercentError: Double)
        case recovered(meanAbsolutePercentError: Double)
    }

    private struct Entry {
        var comparison: Comparison
        /// Per VM: (attributed dynamic, isolated dynamic) watts.
        var dynamics: [VMKey: (attributed: Double, isolated: Double)]
        /// Σ over the VMs of the configured ratio at the reading's host load × isolated dynamic watts.
        var configuredDynamicWatts: Double
    }

    private struct State {
        var meter: Meter?
        var meterError: String?
        var window: [Entry] = []
        var energyJoules: Double = 0
        var drifting = false
        var share: MeteredShare?
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

    /// Adds a comparison, the energy measured over its interval and the metered share of the same
    /// reading; returns the drift flag's change, if it changed.
    @discardableResult
    public func record(_ comparison: Comparison, energyJoules: Double, share: MeteredShare? = nil) -> DriftChange? {
        let dynamics = Dictionary(
            (share?.vms ?? []).map { ($0.key, (attributed: $0.dynamicWatts, isolated: $0.isolatedDynamicWatts)) },
            uniquingKeysWith: { first, _ in first })
        let configured = configuration.cinergyRatio.map { ratio in
            dynamics.values.reduce(0) { $0 + $1.isolated } * ratio.value(hostLoadPercent: comparison.hostLoadPercent)
        }
        return state.withLock { state in
            state.meterError = nil
            state.energyJoules += max(0, energyJoules)
            state.window.append(Entry(comparison: comparison, dynamics: dynamics, configuredDynamicWatts: configured ?? 0))
            if let share { state.share = share }
            let oldest = comparison.atUnixSeconds - configuration.windowSeconds
            if let keep = state.window.firstIndex(where: { $0.comparison.atUnixSeconds > oldest }) {
                state.window.removeFirst(keep)
            }
            let errors = state.window.compactMap(\.comparison.errorPercent)
            guard errors.count >= configuration.minimumComparisons, let mape = PercentError.meanAbsolute(errors) else { return nil }
            let drifting = mape > configuration.driftThresholdPercent
            guard drifting != state.drifting else { return nil }
            state.drifting = drifting
            return drifting ? .startedDrifting(meanAbsolutePercentError: mape) : .recovered(meanAbsolutePercentError: mape)
        }
    }

    /// The attributed power of one VM at the newest reading; nil without a share for it.
    public func attributedShare(of key: VMKey) -> MeteredShare.VMShare? {
        state.withLock { $0.share?.vms.first { $0.key == key } }
    }

    public func snapshot() -> Snapshot {
        state.withLock { state in
            var total = ObservedRatio(attributedDynamicWatts: 0, isolatedDynamicWatts: 0)
            var byVM: [VMKey: ObservedRatio] = [:]
            var configured = 0.0
            for entry in state.window {
                configured += entry.configuredDynamicWatts
                for (key, dynamic) in entry.dynamics {
                    total.attributedDynamicWatts += dynamic.attributed
                    total.isolatedDynamicWatts += dynamic.isolated
                    byVM[key, default: ObservedRatio(attributedDynamicWatts: 0, isolatedDynamicWatts: 0)].attributedDynamicWatts += dynamic.attributed
                    byVM[key]!.isolatedDynamicWatts += dynamic.isolated
                }
            }
            return Snapshot(
                meter: state.meter,
                meterError: state.meterError,
                window: state.window.map(\.comparison),
                energyJoules: state.energyJoules,
                meanAbsolutePercentError: PercentError.meanAbsolute(state.window.compactMap(\.comparison.errorPercent)),
                drifting: state.drifting,
                share: state.share,
                observedRatio: total,
                observedRatioByVM: byVM,
                configuredRatio: configuration.cinergyRatio != nil && total.isolatedDynamicWatts > 0
                    ? configured / total.isolatedDynamicWatts : nil,
                configuration: configuration
            )
        }
    }
}
