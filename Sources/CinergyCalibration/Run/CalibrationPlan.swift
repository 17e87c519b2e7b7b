import CinergyCore

/// What a measurement run does: the load levels and how long each is held.
public struct CalibrationPlan: Sendable, Equatable {
    /// The levels asked for, in percent of all online CPUs, in the order run.
    public var levels: [Double]
    /// Seconds waited at each level before measuring.
    public var settleSeconds: Double
    /// Seconds measured at each level: one point per second.
    public var levelSeconds: Double

    public static let defaultLevels: [Double] = stride(from: 0, through: 100, by: 10).map(Double.init)

    public init(levels: [Double] = defaultLevels, settleSeconds: Double = 5, levelSeconds: Double = 30) {
        self.levels = levels
        self.settleSeconds = settleSeconds
        self.levelSeconds = levelSeconds
    }

    /// levels × (settle + level seconds).
    public var expectedSeconds: Double { Double(levels.count) * (settleSeconds + levelSeconds) }

    /// Parses `--levels`: comma-separated percentages from 0 to 100.
    public static func parseLevels(_ text: String) -> [Double]? {
        let values = text.split(separator: ",").map { Double($0.trimmingWhitespace()) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && (0...100).contains($0!) }) else { return nil }
        return values.map { $0! }
    }

    /// "6 min 25 s".
    public static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        return total % 60 == 0 ? "\(total / 60) min" : "\(total / 60) min \(total % 60) s"
    }
}
