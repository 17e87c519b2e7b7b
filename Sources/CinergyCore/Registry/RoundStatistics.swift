/// What one sampling round measured as a whole, for `/health` and `/metrics`.
public struct RoundStatistics: Sendable, Equatable {
    /// When the round ended, in seconds since the Unix epoch.
    public var finishedAtUnixSeconds: Double
    /// How long discovery plus sampling took, in seconds.
    public var durationSeconds: Double
    /// The VMs whose CPU time the round read.
    public var vmCount: Int

    public init(finishedAtUnixSeconds: Double, durationSeconds: Double, vmCount: Int) {
        self.finishedAtUnixSeconds = finishedAtUnixSeconds
        self.durationSeconds = durationSeconds
        self.vmCount = vmCount
    }
}
