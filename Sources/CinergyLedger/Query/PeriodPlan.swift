/// How a period is summed from the buckets, exactly: hour buckets read whole in the middle, and at
/// each edge that falls inside an hour, that hour's minute buckets prorated by their overlap with
/// the period (energy is spread uniformly over each sample's interval, so a minute bucket's share
/// is its time share to within one sample interval). Where an edge falls in an hour whose minute
/// buckets are no longer all kept, the period is widened to the hour grid there instead: then
/// ``summed`` differs from ``requested``, and ``resolution`` is an hour.
public struct PeriodPlan: Sendable, Equatable {
    /// The period asked for.
    public var requested: LedgerPeriod
    /// The period the figures are the sum of: ``requested``, or it widened to whole hours.
    public var summed: LedgerPeriod
    /// Starts of the hour buckets read whole, Unix seconds (multiples of 3600); empty when none.
    public var hourStarts: Range<Int64>
    /// The parts read from minute buckets, each within one hour (at most two: the edges).
    public var minuteSpans: [LedgerPeriod]

    /// Whether an edge was moved to the hour grid.
    public var isWidened: Bool { summed != requested }

    /// The resolution of the edges: a minute when the requested period was summed (minute buckets
    /// prorated at its edges), an hour when an edge was widened to the hour grid.
    public var resolution: BucketResolution { isWidened ? .hour : .minute }

    /// Plans `requested` when the minute buckets of every hour that starts at or after
    /// `minutesKeptFrom` (Unix seconds; `-infinity` when all are kept, `infinity` when none)
    /// are all there.
    public init(_ requested: LedgerPeriod, minutesKeptFrom: Double) {
        self.requested = requested
        var from = requested.fromUnixSeconds
        var to = max(from, requested.toUnixSeconds)
        var spans: [LedgerPeriod] = []
        func kept(_ hour: Double) -> Bool { hour >= minutesKeptFrom }
        let fromHour = LedgerPeriod.hourFloor(from)
        let toHour = LedgerPeriod.hourFloor(to)
        var lower = from
        var upper = to
        if from == to {
            lower = from
            upper = from
        } else if !LedgerPeriod.isOnHour(from) && !LedgerPeriod.isOnHour(to) && fromHour == toHour {
            // Both edges in one hour.
            if kept(fromHour) {
                spans.append(LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: to))
                lower = fromHour
                upper = fromHour
            } else {
                from = fromHour
                to = fromHour + 3600
                lower = from
                upper = to
            }
        } else {
            if !LedgerPeriod.isOnHour(from) {
                if kept(fromHour) {
                    spans.append(LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: fromHour + 3600))
                    lower = fromHour + 3600
                } else {
                    from = fromHour
                    lower = fromHour
                }
            }
            if !LedgerPeriod.isOnHour(to) {
                if kept(toHour) {
                    spans.append(LedgerPeriod(fromUnixSeconds: toHour, toUnixSeconds: to))
                    upper = toHour
                } else {
                    to = toHour + 3600
                    upper = to
                }
            }
        }
        summed = LedgerPeriod(fromUnixSeconds: from, toUnixSeconds: to)
        let lowerHour = Int64(lower)
        hourStarts = lowerHour..<max(lowerHour, Int64(upper))
        minuteSpans = spans
    }

    /// Whether `period` can be summed without widening it.
    static func isExact(_ period: LedgerPeriod, minutesKeptFrom: Double) -> Bool {
        !PeriodPlan(period, minutesKeptFrom: minutesKeptFrom).isWidened
    }

    /// The share of the minute bucket starting at `start` that falls in `span`, 0 to 1.
    ///
    /// A bucket's energy is spread uniformly over the time the VM was counted in it
    /// (`countedSeconds`, its running seconds). When that is the whole minute, or its place in
    /// the minute is unknown, the share is the time share of the minute. When the VM was counted
    /// for part of the minute only, and the minute before it has nothing for the VM while the
    /// one after has (it started here), that part is the end of the minute; the other way round
    /// (it stopped here, or this is the minute the agent is in), the beginning. So a VM at constant
    /// power that starts or stops in an edge minute is summed exactly too.
    ///
    /// `active` is when the VM was ever counted (the ledger's first and last seen: its counted time
    /// lies within): the minute is first narrowed to it, so a VM whose whole life falls inside the
    /// cut minute (no neighbour to tell) is placed there rather than spread over the minute.
    public static func share(
        ofMinuteAt start: Int64, countedSeconds: Double, previousCounted: Bool, nextCounted: Bool, in span: LedgerPeriod,
        active: LedgerPeriod? = nil
    ) -> Double {
        let bucketStart = Double(start)
        var from = bucketStart
        var to = bucketStart + 60
        if let active, max(from, active.fromUnixSeconds) < min(to, active.toUnixSeconds) {
            from = max(from, active.fromUnixSeconds)
            to = min(to, active.toUnixSeconds)
        }
        if countedSeconds > 0 && countedSeconds < to - from - 1e-6 {
            if !previousCounted && nextCounted {
                from = to - countedSeconds
            } else if previousCounted && !nextCounted {
                to = from + countedSeconds
            }
        }
        let overlap = min(to, span.toUnixSeconds) - max(from, span.fromUnixSeconds)
        return min(1, max(0, overlap) / (to - from))
    }

    /// Whether the minute bucket starting at `start` lies wholly inside `span`.
    public static func contains(minuteAt start: Int64, in span: LedgerPeriod) -> Bool {
        Double(start) >= span.fromUnixSeconds && Double(start) + 60 <= span.toUnixSeconds
    }

    /// The start of the oldest hour whose minute buckets are all kept, Unix seconds, from what a
    /// ledger holds: `-infinity` when no minute bucket was ever pruned (or there are no hour
    /// buckets), `infinity` when none is left.
    ///
    /// Pruning deletes every minute bucket older than a cut-off, so the minutes after the oldest
    /// one left (`oldestMinute`) are all there; only that one's hour may have lost its first
    /// minutes, which its hour bucket tells: the hour's totals (`hourTotals`: energy, J, and
    /// running time, s, of every hour bucket starting then) add up to its minutes'
    /// (`minuteTotals`) only if none is missing. Energy is compared exactly (to rounding); running
    /// time to 0.1 %: a minute bucket's running time is capped at 60 s and an hour's at 3,600 s, so
    /// samples whose intervals overlap by a few milliseconds (monotonic lengths ending at wall-clock
    /// times) leave an hour's running time a little above the sum of its capped minutes, while a
    /// pruned minute takes a whole minute of every VM. The SQLite ledger and the fleet's central
    /// database (per host) both read it so.
    public static func minutesKeptFrom(
        oldestMinute: Int64?, oldestHour: Int64?, hourTotals: (joules: Double, seconds: Double)?,
        minuteTotals: (joules: Double, seconds: Double)?
    ) -> Double {
        guard let oldestHour else { return -.infinity }
        guard let oldestMinute else { return .infinity }
        let hour = oldestMinute - oldestMinute % 3600
        func close(_ a: Double, _ b: Double, within tolerance: Double) -> Bool { abs(a - b) <= tolerance * max(1, abs(a), abs(b)) }
        var complete = false
        if let hourTotals, let minuteTotals {
            complete =
                close(hourTotals.joules, minuteTotals.joules, within: 1e-9) && close(hourTotals.seconds, minuteTotals.seconds, within: 1e-3)
        }
        if complete && oldestHour >= hour { return -.infinity }
        return Double(complete ? hour : hour + 3600)
    }
}
