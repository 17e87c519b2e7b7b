/// One reading of a power meter.
///
/// An energy meter (RAPL, hwmon `energy1_input`) gives `energyJoules`, a counter since the meter
/// was opened with wrap-arounds already unfolded, so the mean power between two readings is
/// ΔE / Δt. A power meter (hwmon `power1_*`, IPMI) gives `powerWatts`, as its device reports it.
public struct MeterReading: Sendable, Equatable {
    /// Energy since the meter was opened, in joules; nil for a power meter.
    public let energyJoules: Double?
    /// Power as the device reports it, in watts; nil for an energy meter.
    public let powerWatts: Double?
    /// When the reading was taken (CLOCK_MONOTONIC), in seconds.
    public let monotonicSeconds: Double

    public init(energyJoules: Double? = nil, powerWatts: Double? = nil, monotonicSeconds: Double) {
        self.energyJoules = energyJoules
        self.powerWatts = powerWatts
        self.monotonicSeconds = monotonicSeconds
    }
}

extension MeterReading {
    /// The mean power from `earlier` to this reading, in watts: ΔE / Δt for an energy meter; for a
    /// power meter the mean of `powerSamples` taken through the interval, or this reading's own
    /// power when there are none. Nil when no time passed, or an energy counter did not move on.
    public func meanWatts(since earlier: MeterReading, powerSamples: [Double] = []) -> Double? {
        let seconds = monotonicSeconds - earlier.monotonicSeconds
        guard seconds > 0 else { return nil }
        if let energy = energyJoules, let before = earlier.energyJoules {
            return energy > before ? (energy - before) / seconds : nil
        }
        if !powerSamples.isEmpty { return powerSamples.reduce(0, +) / Double(powerSamples.count) }
        return powerWatts
    }
}
