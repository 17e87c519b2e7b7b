/// A period of time, [from, to), in Unix seconds.
public struct LedgerPeriod: Sendable, Equatable {
    public var fromUnixSeconds: Double
    public var toUnixSeconds: Double

    public init(fromUnixSeconds: Double, toUnixSeconds: Double) {
        self.fromUnixSeconds = fromUnixSeconds
        self.toUnixSeconds = toUnixSeconds
    }

    /// Its length, seconds.
    public var seconds: Double { toUnixSeconds - fromUnixSeconds }

    /// The start of the hour `unixSeconds` falls in.
    static func hourFloor(_ unixSeconds: Double) -> Double { (unixSeconds / 3600).rounded(.down) * 3600 }

    static func isOnHour(_ unixSeconds: Double) -> Bool { hourFloor(unixSeconds) == unixSeconds }
}
