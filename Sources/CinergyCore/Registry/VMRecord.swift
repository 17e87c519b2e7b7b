/// A VM as the registry reports it: its identity and its latest samples.
public struct VMRecord: Sendable, Equatable {
    public var identity: VMIdentity
    /// Usage over the last interval; nil until the VM has been known for one interval.
    public var usage: UsageSample?
    /// The most recent samples, oldest first (at most ``VMRegistry/historyLength``).
    public var history: [UsageSample]
    /// When the agent first saw the VM, in seconds since the Unix epoch.
    public var firstSeenUnixSeconds: Double
    /// Energy used since the agent first saw the VM, in joules (isolated power × time).
    public var energyJoules: Double
    /// Carbon emitted since the agent first saw the VM, in grams of CO2-equivalent.
    public var carbonGrams: Double
    /// Embodied carbon of the VM since the agent first saw it (or its ledger key), in grams of
    /// CO2-equivalent; 0 when embodied emissions are not accounted (routes then say null).
    public var embodiedGrams: Double = 0

    public var name: String { identity.name }

    /// The usage the model uses: 0 while the VM is paused (``UsageSample/effective(in:)``).
    public var effectiveUsage: UsageSample? {
        usage?.effective(in: identity.state)
    }
}
