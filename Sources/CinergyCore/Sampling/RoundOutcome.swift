/// What one sampling round changed and measured.
public struct RoundOutcome: Sendable {
    /// What discovery changed.
    public var changes = RegistryChanges()
    /// VMs removed because their process was gone.
    public var exited: [VMIdentity] = []
    /// The round as a whole; set once the round has finished.
    public var statistics: RoundStatistics?
    /// Why `/proc/stat` could not be read, the first round it could not (nil otherwise): the
    /// last host load measured is used meanwhile.
    public var hostCPUError: String?

    public init() {}
}
