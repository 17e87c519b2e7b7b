/// The registry as a whole.
public struct RegistryStatus: Sendable, Equatable {
    public var vmCount: Int
    public var vmCountBySource: [VMSource: Int]
    /// The last sampling round; nil before the first.
    public var lastRound: RoundStatistics?
    public var sources: [VMSource: SourceStatus]
}
