/// Groups points into load levels: sorted by load, a gap of more than `gapPercent` between two
/// neighbouring loads starts a new level. The points measured at one requested level (a spread of
/// a percent or two) form one level; levels 10 % apart are told apart.
public enum LoadLevels {
    /// The default gap, in percentage points of host load.
    public static let defaultGapPercent = 1.0

    /// The index of each point's level (0 for the lowest), in the order of `loads`, and the count of levels.
    public static func group(_ loads: [Double], gapPercent: Double = defaultGapPercent) -> (levelOfPoint: [Int], count: Int) {
        guard !loads.isEmpty else { return ([], 0) }
        let order = loads.indices.sorted { loads[$0] < loads[$1] }
        var level = [Int](repeating: 0, count: loads.count)
        var current = 0
        for (position, index) in order.enumerated() {
            if position > 0, loads[index] - loads[order[position - 1]] > gapPercent { current += 1 }
            level[index] = current
        }
        return (level, current + 1)
    }
}
