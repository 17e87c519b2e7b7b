public import CinergyCore

/// Turns the registry's cumulative counters, read at each tick, into energy and carbon by minute.
///
/// Each tick takes the increase of every VM's counters since the last tick and spreads it over the
/// minutes between the two ticks in proportion to time (constant power in between), so a bucket
/// is right to within one tick at its edges. Counters never go backwards: a decrease (which the
/// registry never makes) is ignored. A wall clock stepped backwards never makes a negative
/// interval: until it passes the last tick again, increases go to the last tick's minute.
public struct LedgerAccumulator: Sendable {
    /// The counters as of the last tick, by ledger key: the increase is counted from here.
    private(set) var baselines: [String: (joules: Double, grams: Double)] = [:]
    /// The last identity seen for each key, for VMs that have left the registry since.
    private var identities: [String: VMIdentity] = [:]
    /// When the last tick was, Unix seconds (never moves backwards).
    public private(set) var lastTickUnixSeconds: Double
    /// What is waiting for the next flush.
    public private(set) var pending = LedgerBatch()

    public init(startUnixSeconds: Double) {
        lastTickUnixSeconds = startUnixSeconds
    }

    /// The ledger seeded the registry with `totals` (from earlier runs): they are not new energy.
    public mutating func seeded(_ totals: [String: (joules: Double, grams: Double)]) {
        for (key, seed) in totals {
            let base = baselines[key] ?? (0, 0)
            baselines[key] = (base.joules + seed.joules, base.grams + seed.grams)
        }
    }

    /// Reads `totals` (from `VMRegistry.totals()`) at `nowUnixSeconds` into the pending batch.
    public mutating func tick(_ totals: [VMTotals], nowUnixSeconds: Double) {
        let start = lastTickUnixSeconds
        let end = max(nowUnixSeconds, start)
        for vm in totals {
            let key = vm.ledgerKey
            let base = baselines[key] ?? (0, 0)
            let joules = max(0, vm.energyJoules - base.joules)
            let grams = max(0, vm.carbonGrams - base.grams)
            baselines[key] = (max(base.joules, vm.energyJoules), max(base.grams, vm.carbonGrams))
            if let identity = vm.identity { identities[key] = identity }
            guard let identity = identities[key] else { continue }
            let running = vm.identity.map { $0.state == .running } ?? false
            guard joules > 0 || grams > 0 || running else { continue }
            var entry = pending.entries[key] ?? LedgerBatch.Entry(
                identity: identity, firstSeenUnixSeconds: end, lastSeenUnixSeconds: end, totalJoules: 0, totalGrams: 0
            )
            entry.identity = identity
            if vm.identity != nil { entry.lastSeenUnixSeconds = end }
            entry.totalJoules = max(entry.totalJoules, baselines[key]?.joules ?? 0)
            entry.totalGrams = max(entry.totalGrams, baselines[key]?.grams ?? 0)
            Self.spread(
                BucketAmount(energyJoules: joules, carbonGrams: grams, runningSeconds: running ? end - start : 0),
                from: start, to: end, into: &entry.minutes
            )
            pending.entries[key] = entry
        }
        lastTickUnixSeconds = end
    }

    /// Hands over the pending batch, leaving none.
    public mutating func takePending() -> LedgerBatch {
        defer { pending = LedgerBatch() }
        return pending
    }

    /// Puts back a batch that could not be written, before what was added since. While the
    /// database stays unwritable, minutes older than `keepMinutesAfter` (the minute retention's
    /// start: those minute buckets would be pruned anyway) are folded into their hour's first
    /// minute, so what waits in memory grows by one entry per VM and hour, not per minute.
    public mutating func restore(_ batch: LedgerBatch, keepMinutesAfter: Double = -.infinity) {
        var merged = batch
        merged.merge(pending)
        let cutoff = Int64(max(-9e15, keepMinutesAfter))
        for (key, entry) in merged.entries where entry.minutes.keys.contains(where: { $0 < cutoff && $0 % 3600 != 0 }) {
            var folded: [Int64: BucketAmount] = [:]
            for (minute, amount) in entry.minutes {
                let target = minute < cutoff ? minute - minute % 3600 : minute
                folded[target, default: BucketAmount()] += amount
            }
            merged.entries[key]?.minutes = folded
        }
        pending = merged
    }

    /// Spreads `amount` over the minutes of [`from`, `to`] in proportion to their overlap; an
    /// empty interval puts it all in the minute of `to`.
    static func spread(_ amount: BucketAmount, from: Double, to: Double, into minutes: inout [Int64: BucketAmount]) {
        guard !amount.isZero else { return }
        let length = to - from
        let lastMinute = Int64((to / 60).rounded(.down)) * 60
        guard length > 0 else {
            minutes[lastMinute, default: BucketAmount()] += amount
            return
        }
        var minute = Int64((from / 60).rounded(.down)) * 60
        while minute <= lastMinute {
            let overlap = min(to, Double(minute + 60)) - max(from, Double(minute))
            if overlap > 0 {
                let share = overlap / length
                minutes[minute, default: BucketAmount()] += BucketAmount(
                    energyJoules: amount.energyJoules * share, carbonGrams: amount.carbonGrams * share,
                    runningSeconds: amount.runningSeconds * share
                )
            }
            minute += 60
        }
    }
}
