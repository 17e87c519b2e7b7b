/// How a series of a period by a step is summed: the period planned as a whole (``PeriodPlan``;
/// widened to whole hours where its edges fall in hours whose minute buckets are gone), then cut
/// at the step's grid (multiples of the step from the Unix epoch, so `1d` is UTC days); the first
/// and last points are cut at the period's edges, and each point is summed exactly.
public struct SeriesPlan: Sendable, Equatable {
    /// The whole period.
    public var period: PeriodPlan
    /// One plan per point, in order; together they cover ``period``'s summed period.
    public var points: [PeriodPlan]

    /// Why a series cannot be summed.
    public enum Failure: Error, Sendable, Equatable {
        /// More than `limit` points.
        case tooManyPoints(count: Int64, limit: Int64)
        /// A point's edge falls in an hour whose minute buckets are gone (a step that is not whole
        /// hours, reaching back before `minutesKeptFrom`).
        case minutesNotKept(minutesKeptFrom: Double)
    }

    public init(
        _ requested: LedgerPeriod, stepSeconds: Int64, minutesKeptFrom: Double, maxPoints: Int64 = 10_000
    ) throws(Failure) {
        period = PeriodPlan(requested, minutesKeptFrom: minutesKeptFrom)
        let from = period.summed.fromUnixSeconds
        let to = period.summed.toUnixSeconds
        let step = Double(stepSeconds)
        guard to > from else {
            points = []
            return
        }
        let firstCell = (from / step).rounded(.down)
        let lastCell = (to / step).rounded(.up)
        let count = Int64(lastCell - firstCell)
        guard count <= maxPoints else { throw .tooManyPoints(count: count, limit: maxPoints) }
        var points: [PeriodPlan] = []
        points.reserveCapacity(Int(count))
        var start = from
        var cell = firstCell + 1
        while start < to {
            let end = min(to, cell * step)
            let point = PeriodPlan(LedgerPeriod(fromUnixSeconds: start, toUnixSeconds: end), minutesKeptFrom: minutesKeptFrom)
            guard !point.isWidened else { throw .minutesNotKept(minutesKeptFrom: minutesKeptFrom) }
            points.append(point)
            start = end
            cell += 1
        }
        self.points = points
    }
}
