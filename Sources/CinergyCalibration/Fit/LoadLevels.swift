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

    /// The levels of points a run measured at planned levels: each point's planned level, numbered
    /// from 0 in the order the plan's levels appear. A run's points at one level scatter by a few
    /// percent of load; grouped by gaps they would pass for several levels, and a fold of the
    /// cross-validation would hold out part of a level while its neighbours stay in training.
    public static func planned(_ levels: [Int]) -> (levelOfPoint: [Int], count: Int) {
        let distinct = Array(Set(levels)).sorted()
        let number = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, $0) })
        return (levels.map { number[$0]! }, distinct.count)
    }

    /// The levels of `points`: planned ones when every point has one and the loads do separate
    /// into at least that many groups (a busy host can press two planned levels into one load),
    /// else found from the loads.
    public static func of(_ points: [CalibrationPoint]) -> (levelOfPoint: [Int], count: Int) {
        let byLoad = group(points.map(\.loadPercent))
        let levels = points.compactMap(\.level)
        guard levels.count == points.count else { return byLoad }
        let planned = Self.planned(levels)
        return planned.count <= byLoad.count ? planned : byLoad
    }
}
