/// Energy, carbon and running time in one bucket.
public struct BucketAmount: Sendable, Equatable {
    public var energyJoules: Double
    public var carbonGrams: Double
    /// Seconds of the bucket the VM was in the registry and running.
    public var runningSeconds: Double

    public init(energyJoules: Double = 0, carbonGrams: Double = 0, runningSeconds: Double = 0) {
        self.energyJoules = energyJoules
        self.carbonGrams = carbonGrams
        self.runningSeconds = runningSeconds
    }

    public static func += (left: inout BucketAmount, right: BucketAmount) {
        left.energyJoules += right.energyJoules
        left.carbonGrams += right.carbonGrams
        left.runningSeconds += right.runningSeconds
    }

    var isZero: Bool { energyJoules == 0 && carbonGrams == 0 && runningSeconds == 0 }
}
