import CinergyCore

/// What a VM (or several together) used over a period, as the ledger's buckets sum it.
public struct PeriodAmount: Sendable, Equatable {
    /// Energy (static + dynamic, plus ``unsplitJoules``), joules.
    public var energyJoules = 0.0
    /// The static part: the VM's share of the host's idle power (paused time included), joules.
    public var staticJoules = 0.0
    /// The dynamic part: its share of the power above idle, from its own CPU load, joules.
    public var dynamicJoules = 0.0
    /// Energy from buckets written before the ledger kept the split (ledger v1): neither static
    /// nor dynamic, and without CPU time, joules.
    public var unsplitJoules = 0.0
    /// The part of ``energyJoules`` reconstructed from CPU ticks across an agent's absence rather
    /// than sampled live, joules.
    public var reconstructedJoules = 0.0
    /// Grams of CO2-equivalent of the energy drawn (operational carbon, SCI's `O`).
    public var carbonGrams = 0.0
    /// Grams of CO2-equivalent of the server's embodied emissions, the VM's share (SCI's `M`); nil
    /// when any bucket summed was written without them (`SERVER_EMBODIED_EMISSIONS` unset then,
    /// or a ledger before v3): never a part of the period passed off as the whole.
    public var embodiedGrams: Double? = 0
    /// The VM's share of the host meter's measured energy (its static share of the measured idle
    /// power plus its CPU-time share of the power above idle, issue 18), joules, beside the
    /// isolated ``energyJoules``: the sum of the parts the meter measured, over
    /// ``attributedSeconds``; nil when no part summed had one (no host meter, or a ledger before v3).
    /// A meter measures only while an agent runs: an agent's absence (whose energy is
    /// reconstructed) or a failed meter leaves a part without it, which ``attributedSeconds`` short
    /// of ``runningSeconds`` shows. Minutes and hours sum it by the same rule.
    public var attributedJoules: Double?
    /// The seconds of the host meter's readings ``attributedJoules`` covers (0: none).
    public var attributedSeconds = 0.0
    /// Seconds the VM was active (running, or paused and drawing its static share): the time its
    /// static power was counted over.
    public var runningSeconds = 0.0
    /// The VM's CPU time, seconds of one host CPU (not known for ``unsplitJoules``' buckets).
    public var cpuSeconds = 0.0

    public init() {}

    public init(
        energyJoules: Double, staticJoules: Double, dynamicJoules: Double, unsplitJoules: Double, reconstructedJoules: Double,
        carbonGrams: Double, embodiedGrams: Double?, attributedJoules: Double?, attributedSeconds: Double, runningSeconds: Double,
        cpuSeconds: Double
    ) {
        self.energyJoules = energyJoules
        self.staticJoules = staticJoules
        self.dynamicJoules = dynamicJoules
        self.unsplitJoules = unsplitJoules
        self.reconstructedJoules = reconstructedJoules
        self.carbonGrams = carbonGrams
        self.embodiedGrams = embodiedGrams
        self.attributedJoules = attributedJoules
        self.attributedSeconds = attributedJoules == nil ? 0 : attributedSeconds
        self.runningSeconds = runningSeconds
        self.cpuSeconds = cpuSeconds
    }

    /// The figures of one bucket's `amount` (always split: buckets are written with the split).
    init(_ amount: BucketAmount) {
        self.init(
            energyJoules: amount.energyJoules, staticJoules: amount.staticJoules, dynamicJoules: amount.dynamicJoules, unsplitJoules: 0,
            reconstructedJoules: amount.reconstructedJoules, carbonGrams: amount.carbonGrams, embodiedGrams: amount.embodiedGrams,
            attributedJoules: amount.attributedJoules, attributedSeconds: amount.attributedSeconds, runningSeconds: amount.runningSeconds,
            cpuSeconds: amount.cpuSeconds
        )
    }

    /// Energy over the time counted, watts; nil when no time was counted. Numerator and
    /// denominator cover the same time: the static power of a paused VM is in both.
    public var meanPowerWatts: Double? {
        runningSeconds > 0 ? energyJoules / runningSeconds : nil
    }

    /// Operational plus embodied carbon, grams CO2eq; nil when embodied is not known.
    public var totalCarbonGrams: Double? {
        embodiedGrams.map { carbonGrams + $0 }
    }

    /// The Software Carbon Intensity per VM-hour (ISO/IEC 21031 with R = one VM active for one
    /// hour): ``totalCarbonGrams`` over the hours counted, grams CO2eq per VM-hour; nil when the
    /// total is not known or no time was counted.
    public var sciGramsPerVMHour: Double? {
        guard let total = totalCarbonGrams, runningSeconds > 0 else { return nil }
        return total / (runningSeconds / 3600)
    }

    /// The seconds a bucket counted the VM: its running seconds; energy without them counts as
    /// time present (a minute), so a bucket with energy is never taken for an empty neighbour.
    public var countedSeconds: Double {
        runningSeconds > 0 ? runningSeconds : (energyJoules > 0 ? 60 : 0)
    }

    public static func += (left: inout PeriodAmount, right: PeriodAmount) {
        left.energyJoules += right.energyJoules
        left.staticJoules += right.staticJoules
        left.dynamicJoules += right.dynamicJoules
        left.unsplitJoules += right.unsplitJoules
        left.reconstructedJoules += right.reconstructedJoules
        left.carbonGrams += right.carbonGrams
        // Unknown stays unknown: a sum with an unaccounted part is not the whole.
        left.embodiedGrams = left.embodiedGrams.flatMap { known in right.embodiedGrams.map { known + $0 } }
        // The meter's share: the parts it measured, with the seconds they cover.
        left.attributedJoules = AccountAmount.sum(left.attributedJoules, right.attributedJoules)
        left.attributedSeconds += right.attributedSeconds
        left.runningSeconds += right.runningSeconds
        left.cpuSeconds += right.cpuSeconds
    }

    /// Every figure multiplied by `share` (the part of a bucket inside a period).
    public func scaled(by share: Double) -> PeriodAmount {
        PeriodAmount(
            energyJoules: energyJoules * share, staticJoules: staticJoules * share, dynamicJoules: dynamicJoules * share,
            unsplitJoules: unsplitJoules * share, reconstructedJoules: reconstructedJoules * share,
            carbonGrams: carbonGrams * share, embodiedGrams: embodiedGrams.map { $0 * share },
            attributedJoules: attributedJoules.map { $0 * share }, attributedSeconds: attributedSeconds * share,
            runningSeconds: runningSeconds * share, cpuSeconds: cpuSeconds * share
        )
    }
}
