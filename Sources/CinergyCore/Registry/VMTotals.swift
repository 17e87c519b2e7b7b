/// A VM's cumulative counters by ledger key (`VMRegistry.totals()`), from its account, with its
/// embodied carbon and Nova metadata: what the SCS-0414 gauges add up by project.
public struct VMTotals: Sendable, Equatable {
    /// The key the ledger files the VM under (``VMIdentity/ledgerKey``).
    public var ledgerKey: String
    /// The VM's identity while it is in the registry; nil for a VM that left it (stopped), whose
    /// counters are kept so that it takes them up again when it comes back.
    public var identity: VMIdentity?
    /// Energy since the ledger began counting the VM (including totals seeded from it), in joules.
    public var energyJoules: Double
    /// Carbon since the ledger began counting the VM, in grams of CO2-equivalent.
    public var carbonGrams: Double
    /// Embodied carbon counted for the key since the agent started (not yet kept by the ledger),
    /// in grams CO2eq; nil when embodied emissions are not accounted or none accrued yet.
    public var embodiedGrams: Double?
    /// The Nova metadata of the VM: its identity's, or the last seen for a VM that left.
    public var nova: NovaInstance?

    public init(
        ledgerKey: String, identity: VMIdentity?, energyJoules: Double, carbonGrams: Double, embodiedGrams: Double? = nil,
        nova: NovaInstance? = nil
    ) {
        self.ledgerKey = ledgerKey
        self.identity = identity
        self.energyJoules = energyJoules
        self.carbonGrams = carbonGrams
        self.embodiedGrams = embodiedGrams
        self.nova = nova ?? identity?.nova
    }
}
