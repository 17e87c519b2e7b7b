/// One sampling round as a whole.
public struct SampleRound: Sendable, Equatable {
    /// When the round ended, in seconds since the Unix epoch.
    public var finishedAtUnixSeconds: Double
    /// How long discovery plus sampling took, in seconds.
    public var durationSeconds: Double
    public var vmCount: Int

    public init(finishedAtUnixSeconds: Double, durationSeconds: Double, vmCount: Int) {
        self.finishedAtUnixSeconds = finishedAtUnixSeconds
        self.durationSeconds = durationSeconds
        self.vmCount = vmCount
    }
}
