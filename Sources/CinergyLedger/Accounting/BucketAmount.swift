public import CinergyCore

/// Energy, carbon, running time and CPU time in one bucket (or one VM's account).
public struct BucketAmount: Sendable, Equatable {
    /// Static plus dynamic energy, joules.
    public var energyJoules: Double
    /// The static part (the VM's share of the host's idle power), joules. For buckets written by
    /// ledger v1 the split is unknown (NULL): reports count their energy as unsplit (``PeriodAmount/unsplitJoules``).
    public var staticJoules: Double
    /// The dynamic part (its share of the power above idle), joules.
    public var dynamicJoules: Double
    /// Grams of CO2-equivalent.
    public var carbonGrams: Double
    /// Grams of CO2-equivalent of the server's embodied emissions, the VM's share; nil when not
    /// accounted (`SERVER_EMBODIED_EMISSIONS` unset, or written before ledger v3).
    public var embodiedGrams: Double?
    /// The VM's share of the host meter's measured energy, joules; nil when no meter measured it.
    public var attributedJoules: Double?
    /// Seconds of the bucket the VM's domain was active (running or paused) in the registry.
    public var runningSeconds: Double
    /// The VM's CPU time in the bucket, seconds (of one host CPU).
    public var cpuSeconds: Double
    /// The part of ``energyJoules`` reconstructed from CPU ticks across an agent's absence rather
    /// than sampled live, joules.
    public var reconstructedJoules: Double

    public init(
        energyJoules: Double = 0, carbonGrams: Double = 0, runningSeconds: Double = 0, staticJoules: Double = 0,
        dynamicJoules: Double = 0, cpuSeconds: Double = 0, reconstructedJoules: Double = 0, embodiedGrams: Double? = nil,
        attributedJoules: Double? = nil
    ) {
        self.embodiedGrams = embodiedGrams
        self.attributedJoules = attributedJoules
        self.energyJoules = energyJoules
        self.staticJoules = staticJoules
        self.dynamicJoules = dynamicJoules
        self.carbonGrams = carbonGrams
        self.runningSeconds = runningSeconds
        self.cpuSeconds = cpuSeconds
        self.reconstructedJoules = reconstructedJoules
    }

    public static func += (left: inout BucketAmount, right: BucketAmount) {
        left.energyJoules += right.energyJoules
        left.staticJoules += right.staticJoules
        left.dynamicJoules += right.dynamicJoules
        left.carbonGrams += right.carbonGrams
        left.runningSeconds += right.runningSeconds
        left.cpuSeconds += right.cpuSeconds
        left.reconstructedJoules += right.reconstructedJoules
        left.embodiedGrams = AccountAmount.sum(left.embodiedGrams, right.embodiedGrams)
        left.attributedJoules = AccountAmount.sum(left.attributedJoules, right.attributedJoules)
    }

    /// Every figure multiplied by `share` (a part of an interval).
    public func scaled(by share: Double) -> BucketAmount {
        BucketAmount(
            energyJoules: energyJoules * share, carbonGrams: carbonGrams * share, runningSeconds: runningSeconds * share,
            staticJoules: staticJoules * share, dynamicJoules: dynamicJoules * share, cpuSeconds: cpuSeconds * share,
            reconstructedJoules: reconstructedJoules * share, embodiedGrams: embodiedGrams.map { $0 * share },
            attributedJoules: attributedJoules.map { $0 * share }
        )
    }

    var isZero: Bool { energyJoules == 0 && carbonGrams == 0 && runningSeconds == 0 && cpuSeconds == 0 }
}

extension BucketAmount {
    /// The same amount as the accounts hold it.
    public init(_ amount: AccountAmount) {
        self.init(
            energyJoules: amount.energyJoules, carbonGrams: amount.carbonGrams, runningSeconds: amount.runningSeconds,
            staticJoules: amount.staticJoules, dynamicJoules: amount.dynamicJoules, cpuSeconds: amount.cpuSeconds,
            reconstructedJoules: amount.reconstructedJoules, embodiedGrams: amount.embodiedGrams,
            attributedJoules: amount.attributedJoules
        )
    }

    /// The same amount as the accounts hold it.
    public var accountAmount: AccountAmount {
        AccountAmount(
            energyJoules: energyJoules, staticJoules: staticJoules, dynamicJoules: dynamicJoules, carbonGrams: carbonGrams,
            runningSeconds: runningSeconds, cpuSeconds: cpuSeconds, reconstructedJoules: reconstructedJoules,
            embodiedGrams: embodiedGrams, attributedJoules: attributedJoules
        )
    }
}
