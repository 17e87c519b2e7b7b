/// What a VM used over some time: energy (static, dynamic, and the part reconstructed across an
/// agent's absence), operational and embodied carbon, running time and CPU time.
public struct AccountAmount: Sendable, Equatable {
    /// Static plus dynamic, joules.
    public var energyJoules = 0.0
    /// The VM's share of the host's idle power over the time, joules.
    public var staticJoules = 0.0
    /// Its share of the power above idle, joules.
    public var dynamicJoules = 0.0
    /// Grams of CO2-equivalent.
    public var carbonGrams = 0.0
    /// Grams of CO2-equivalent of the server's embodied emissions, the VM's share (SCI's `M`);
    /// nil when embodied emissions were not accounted over the time (`SERVER_EMBODIED_EMISSIONS` unset).
    public var embodiedGrams: Double?
    /// The VM's share of the host meter's measured energy over the time (its static share of the
    /// measured idle power plus its CPU-time share of the power above idle, issue 18), joules; nil
    /// when no host meter measured it.
    public var attributedJoules: Double?
    /// Seconds of the host meter's readings that ``attributedJoules`` covers: beside
    /// ``runningSeconds``, how much of the VM's time has a measured share (an agent's absence, a
    /// meter that failed, have none); 0 when ``attributedJoules`` is nil.
    public var attributedSeconds = 0.0

    /// ``attributedSeconds`` as a row stores it: nil with ``attributedJoules``.
    public var storedAttributedSeconds: Double? {
        attributedJoules == nil ? nil : attributedSeconds
    }
    /// Seconds the VM's domain was active (running or paused) in the registry: the time its static
    /// power and embodied share were counted over.
    public var runningSeconds = 0.0
    /// The VM's CPU time, seconds of one host CPU.
    public var cpuSeconds = 0.0
    /// The part of ``energyJoules`` reconstructed from CPU ticks across an agent's absence, joules.
    public var reconstructedJoules = 0.0

    public init(
        energyJoules: Double = 0, staticJoules: Double = 0, dynamicJoules: Double = 0, carbonGrams: Double = 0,
        runningSeconds: Double = 0, cpuSeconds: Double = 0, reconstructedJoules: Double = 0, embodiedGrams: Double? = nil,
        attributedJoules: Double? = nil, attributedSeconds: Double = 0
    ) {
        self.embodiedGrams = embodiedGrams
        self.attributedJoules = attributedJoules
        self.attributedSeconds = attributedSeconds
        self.energyJoules = energyJoules
        self.staticJoules = staticJoules
        self.dynamicJoules = dynamicJoules
        self.carbonGrams = carbonGrams
        self.runningSeconds = runningSeconds
        self.cpuSeconds = cpuSeconds
        self.reconstructedJoules = reconstructedJoules
    }

    public static func += (left: inout AccountAmount, right: AccountAmount) {
        left.energyJoules += right.energyJoules
        left.staticJoules += right.staticJoules
        left.dynamicJoules += right.dynamicJoules
        left.carbonGrams += right.carbonGrams
        left.runningSeconds += right.runningSeconds
        left.cpuSeconds += right.cpuSeconds
        left.reconstructedJoules += right.reconstructedJoules
        left.embodiedGrams = Self.sum(left.embodiedGrams, right.embodiedGrams)
        left.attributedJoules = Self.sum(left.attributedJoules, right.attributedJoules)
        left.attributedSeconds += right.attributedSeconds
    }

    /// Adds two amounts of which either may be unaccounted (nil): nil only when both are.
    public static func sum(_ left: Double?, _ right: Double?) -> Double? {
        guard left != nil || right != nil else { return nil }
        return (left ?? 0) + (right ?? 0)
    }

    /// Every figure multiplied by `share`.
    public func scaled(by share: Double) -> AccountAmount {
        AccountAmount(
            energyJoules: energyJoules * share, staticJoules: staticJoules * share, dynamicJoules: dynamicJoules * share,
            carbonGrams: carbonGrams * share, runningSeconds: runningSeconds * share, cpuSeconds: cpuSeconds * share,
            reconstructedJoules: reconstructedJoules * share, embodiedGrams: embodiedGrams.map { $0 * share },
            attributedJoules: attributedJoules.map { $0 * share }, attributedSeconds: attributedSeconds * share
        )
    }
}
