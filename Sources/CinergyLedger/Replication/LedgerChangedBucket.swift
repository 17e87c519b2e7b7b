/// A minute or hour bucket changed after a replication watermark, with the figures it holds now
/// (not what the last write added: a bucket still filling is sent whole again as it grows).
public struct LedgerChangedBucket: Sendable, Equatable {
    /// The sequence of the write that last changed the row (`change_seq`).
    public var sequence: Int64
    public var resolution: BucketResolution
    /// The bucket's start, Unix seconds.
    public var start: Int64
    /// The VM's row id in this ledger, and its ledger key (what the fleet keys it by).
    public var vmID: Int64
    public var vmKey: String
    /// The model version's row id in this ledger.
    public var modelVersionID: Int64
    /// Energy (J), carbon (g), running time (s) and the reconstructed part (J).
    public var energyJoules: Double
    public var carbonGrams: Double
    public var runningSeconds: Double
    public var reconstructedJoules: Double
    /// Static and dynamic energy (J) and CPU time (s); nil for buckets written by ledger v1.
    public var staticJoules: Double?
    public var dynamicJoules: Double?
    public var cpuSeconds: Double?
    /// The share of the server's embodied emissions (g CO2eq) and of the host meter's measured
    /// energy (J), ledger v3; nil where they were not accounted.
    public var embodiedGrams: Double?
    public var attributedJoules: Double?
    /// The seconds of the host meter's readings ``attributedJoules`` covers (ledger v6); nil with it.
    public var attributedSeconds: Double?

    public init(
        sequence: Int64, resolution: BucketResolution, start: Int64, vmID: Int64, vmKey: String, modelVersionID: Int64,
        energyJoules: Double, carbonGrams: Double, runningSeconds: Double, reconstructedJoules: Double, staticJoules: Double?,
        dynamicJoules: Double?, cpuSeconds: Double?, embodiedGrams: Double? = nil, attributedJoules: Double? = nil,
        attributedSeconds: Double? = nil
    ) {
        self.embodiedGrams = embodiedGrams
        self.attributedJoules = attributedJoules
        self.attributedSeconds = attributedSeconds
        self.sequence = sequence
        self.resolution = resolution
        self.start = start
        self.vmID = vmID
        self.vmKey = vmKey
        self.modelVersionID = modelVersionID
        self.energyJoules = energyJoules
        self.carbonGrams = carbonGrams
        self.runningSeconds = runningSeconds
        self.reconstructedJoules = reconstructedJoules
        self.staticJoules = staticJoules
        self.dynamicJoules = dynamicJoules
        self.cpuSeconds = cpuSeconds
    }
}
