/// The registry as a whole.
public struct RegistryStatus: Sendable, Equatable {
    public var vmCount: Int
    public var vmCountBySource: [VMSource: Int]
    public var lastSample: SampleRound?
    public var sources: [VMSource: SourceStatus]
}
