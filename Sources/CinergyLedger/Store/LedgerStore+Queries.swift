import CinergyCore
import GRDB

/// The ledger's named queries: what the HTTP routes and `cinergy report` read, as the ledger's own
/// types. Each `async` one runs on GRDB's queue; each `…Now` one blocks (for the command, tests
/// and benchmarks, never the cooperative pool). A query reads one snapshot: a flush is all in or
/// all out.
extension LedgerStore {
    // MARK: VMs

    /// The VMs a user means by `text`: its ledger key, its UUID (any case), or its name.
    public func vms(matching text: String) async throws(LedgerError) -> [LedgerVM] {
        try await reading { db in try Self.vms(matching: text, db) }
    }

    /// Every VM the ledger knows, by name.
    public func allVMsNow() throws(LedgerError) -> [LedgerVM] {
        try readingNow { db in
            try Self.withHeld(VMRow.fetchAll(db, sql: "SELECT \(VMRow.columns) FROM vm ORDER BY name, key").map(\.vm), db)
        }
    }

    static func vms(matching text: String, _ db: Database) throws -> [LedgerVM] {
        try withHeld(
            VMRow.fetchAll(
                db,
                sql: "SELECT \(VMRow.columns) FROM vm WHERE key = ? OR uuid = ? OR name = ? ORDER BY last_seen DESC",
                arguments: [text, text.lowercased(), text]
            ).map(\.vm), db)
    }

    // MARK: Reports

    /// Every VM's (or project's) amounts over `period`, summed exactly (``PeriodPlan``).
    public func report(period: LedgerPeriod, by grouping: ReportGrouping) async throws(LedgerError) -> LedgerReport {
        try await reading { db in try Self.report(period: period, by: grouping, db) }
    }

    /// ``report(period:by:)``, blocking.
    public func reportNow(period: LedgerPeriod, by grouping: ReportGrouping) throws(LedgerError) -> LedgerReport {
        try readingNow { db in try Self.report(period: period, by: grouping, db) }
    }

    static func report(period: LedgerPeriod, by grouping: ReportGrouping, _ db: Database) throws -> LedgerReport {
        let plan = PeriodPlan(period, minutesKeptFrom: try minutesKeptFrom(db))
        // The minute still running is held apart from the buckets: added to them here.
        let held = try heldRows(db)
        var sums: [BucketSumRow] = []
        if !plan.hourStarts.isEmpty {
            sums += try BucketSumRow.sumsByVM("hour_bucket", from: plan.hourStarts.lowerBound, to: plan.hourStarts.upperBound, db)
            sums += held.lazy.filter { plan.hourStarts.contains(Self.hourStart($0.start ?? 0)) }.map(\.withoutStart)
        }
        for span in plan.minuteSpans {
            sums += try minuteSums(in: span, held: held, db)
        }
        var byVM: [Int64: (amount: PeriodAmount, versions: Set<Int64>)] = [:]
        for sum in sums {
            var entry = byVM[sum.vmID] ?? (PeriodAmount(), [])
            entry.amount += sum.amount
            entry.versions.insert(sum.modelVersionID)
            byVM[sum.vmID] = entry
        }
        let vms = try Self.vms(ids: Array(byVM.keys), db).sorted { ($0.name, $0.key) < ($1.name, $1.key) }
        let perVM = vms.compactMap { vm in byVM[vm.id].map { (vm: vm, amount: $0.amount, versions: $0.versions) } }
        let rows: [LedgerReport.Row]
        switch grouping {
        case .vm:
            rows = perVM.map { vm, amount, versions in
                LedgerReport.Row(
                    vm: vm.name, uuid: vm.uuid, projectID: vm.nova?.projectID, projectName: vm.nova?.projectName, vmCount: 1,
                    amount: amount, modelVersionIDs: versions.sorted()
                )
            }
        case .project:
            rows = byProject(perVM)
        }
        let versionIDs = byVM.values.reduce(into: Set<Int64>()) { $0.formUnion($1.versions) }
        return LedgerReport(plan: plan, grouping: grouping, rows: rows, modelVersions: try modelVersions(ids: versionIDs, db))
    }

    /// One row per Nova project (by project ID), by project name; a VM without Nova metadata
    /// has its own row, after them.
    static func byProject(_ perVM: [(vm: LedgerVM, amount: PeriodAmount, versions: Set<Int64>)]) -> [LedgerReport.Row] {
        var projects: [String: (row: LedgerReport.Row, versions: Set<Int64>)] = [:]
        var loose: [LedgerReport.Row] = []
        for (vm, amount, versions) in perVM {
            guard let projectID = vm.nova?.projectID else {
                loose.append(
                    LedgerReport.Row(
                        vm: vm.name, uuid: vm.uuid, projectID: nil, projectName: nil, vmCount: 1, amount: amount,
                        modelVersionIDs: versions.sorted()
                    )
                )
                continue
            }
            var project =
                projects[projectID]
                ?? (
                    LedgerReport.Row(
                        projectID: projectID, projectName: vm.nova?.projectName, vmCount: 0, amount: PeriodAmount(), modelVersionIDs: []
                    ), []
                )
            project.row.vmCount += 1
            project.row.amount += amount
            project.versions.formUnion(versions)
            projects[projectID] = project
        }
        let grouped = projects.values.map { project in
            var row = project.row
            row.modelVersionIDs = project.versions.sorted()
            return row
        }
        return grouped.sorted { ($0.projectName ?? "", $0.projectID ?? "") < ($1.projectName ?? "", $1.projectID ?? "") } + loose
    }

    // MARK: Series

    /// `vm`'s amounts over `period`, in total and by `stepSeconds` (``SeriesPlan``); the plan's
    /// failure (too many points, a step that reads minute buckets no longer kept) as a result.
    public func series(
        vm: LedgerVM, period: LedgerPeriod, stepSeconds: Int64, maxPoints: Int64 = 10_000
    ) async throws(LedgerError) -> Result<LedgerSeries, SeriesPlan.Failure> {
        try await reading { db in try Self.series(vm: vm, period: period, stepSeconds: stepSeconds, maxPoints: maxPoints, db) }
    }

    /// ``series(vm:period:stepSeconds:maxPoints:)``, blocking.
    public func seriesNow(
        vm: LedgerVM, period: LedgerPeriod, stepSeconds: Int64, maxPoints: Int64 = 10_000
    ) throws(LedgerError) -> Result<LedgerSeries, SeriesPlan.Failure> {
        try readingNow { db in try Self.series(vm: vm, period: period, stepSeconds: stepSeconds, maxPoints: maxPoints, db) }
    }

    static func series(
        vm: LedgerVM, period: LedgerPeriod, stepSeconds: Int64, maxPoints: Int64, _ db: Database
    ) throws -> Result<LedgerSeries, SeriesPlan.Failure> {
        let kept = try minutesKeptFrom(db)
        let plan: SeriesPlan
        do {
            plan = try SeriesPlan(period, stepSeconds: stepSeconds, minutesKeptFrom: kept, maxPoints: maxPoints)
        } catch {
            return .failure(error)
        }
        // Every hour bucket of the VM in the period, and the minute buckets of the hours cut by a point.
        let hours = plan.points.map(\.hourStarts).filter { !$0.isEmpty }
        let spans = plan.points.flatMap(\.minuteSpans)
        var hourRows: [BucketSumRow] = []
        let held = try heldRows(db).filter { $0.vmID == vm.id }
        if let lower = hours.first?.lowerBound, let upper = hours.last?.upperBound {
            hourRows = try BucketSumRow.fetchAll(
                db,
                sql: """
                    SELECT start, vm_id, model_version_id, \(BucketSumRow.sums(weight: "1")) FROM hour_bucket
                    WHERE vm_id = ? AND start >= ? AND start < ? GROUP BY start, model_version_id ORDER BY start
                    """,
                arguments: [vm.id, lower, upper]
            )
            for var row in held where (lower..<upper).contains(Self.hourStart(row.start ?? 0)) {
                row.start = Self.hourStart(row.start ?? 0)
                hourRows.append(row)
            }
            hourRows.sort { ($0.start ?? 0) < ($1.start ?? 0) }
        }
        // Adjacent spans (a step of minutes) read in one range; the edges of a step of hours apart.
        var ranges: [LedgerPeriod] = []
        for span in spans {
            if let last = ranges.last, last.toUnixSeconds == span.fromUnixSeconds {
                ranges[ranges.count - 1].toUnixSeconds = span.toUnixSeconds
            } else {
                ranges.append(span)
            }
        }
        var minuteRows: [BucketSumRow] = []
        for range in ranges {
            minuteRows += try BucketSumRow.fetchAll(
                db,
                sql: """
                    SELECT start, vm_id, model_version_id, \(BucketSumRow.sums(weight: "1")) FROM minute_bucket
                    WHERE vm_id = ? AND start > ? AND start < ? GROUP BY start, model_version_id ORDER BY start
                    """,
                // One minute more on each side: a cut minute's neighbours tell where in it the VM ran.
                arguments: [vm.id, range.fromUnixSeconds - 120, range.toUnixSeconds + 60]
            )
            minuteRows += held.filter { Double($0.start ?? 0) > range.fromUnixSeconds - 120 && Double($0.start ?? 0) < range.toUnixSeconds + 60 }
        }
        minuteRows.sort { ($0.start ?? 0) < ($1.start ?? 0) }
        // The seconds counted in each minute (all versions), for the cut minutes' shares.
        var counted: [Int64: Double] = [:]
        for row in minuteRows { counted[row.start ?? 0, default: 0] += Self.countedSeconds(row.amount) }
        var points: [LedgerSeries.Point] = []
        points.reserveCapacity(plan.points.count)
        var versionIDs = Set<Int64>()
        for point in plan.points {
            var amount = PeriodAmount()
            var versions = Set<Int64>()
            for row in rows(in: hourRows, from: point.hourStarts.lowerBound, to: point.hourStarts.upperBound) {
                amount += row.amount
                versions.insert(row.modelVersionID)
            }
            for span in point.minuteSpans {
                let lower = Int64((span.fromUnixSeconds / 60).rounded(.down) * 60)
                let upper = Int64(span.toUnixSeconds.rounded(.up))
                for row in rows(in: minuteRows, from: lower, to: upper) {
                    let start = row.start ?? 0
                    let share =
                        PeriodPlan.contains(minuteAt: start, in: span)
                        ? 1
                        : PeriodPlan.share(
                            ofMinuteAt: start, countedSeconds: counted[start] ?? 0, previousCounted: (counted[start - 60] ?? 0) > 0,
                            nextCounted: (counted[start + 60] ?? 0) > 0, in: span, active: vm.active
                        )
                    guard share > 0 else { continue }
                    amount += row.amount.scaled(by: share)
                    versions.insert(row.modelVersionID)
                }
            }
            versionIDs.formUnion(versions)
            points.append(LedgerSeries.Point(period: point.requested, amount: amount, modelVersionIDs: versions.sorted()))
        }
        return .success(
            LedgerSeries(
                vm: vm, plan: plan, stepSeconds: stepSeconds, points: points, modelVersions: try modelVersions(ids: versionIDs, db)
            )
        )
    }

    /// The minute buckets of `span` (within one hour) by VM and model version, each weighted by
    /// its share of the span: the minutes wholly inside it added up in SQL, the (at most two)
    /// minutes it cuts read with their neighbours and prorated (``PeriodPlan/share``).
    static func minuteSums(in span: LedgerPeriod, held: [BucketSumRow], _ db: Database) throws -> [BucketSumRow] {
        let firstWhole = Int64((span.fromUnixSeconds / 60).rounded(.up) * 60)
        let endWhole = Int64((span.toUnixSeconds / 60).rounded(.down) * 60)
        var sums: [BucketSumRow] = []
        if firstWhole < endWhole {
            sums += try BucketSumRow.sumsByVM("minute_bucket", from: firstWhole, to: endWhole, db)
            sums += held.lazy.filter { (firstWhole..<endWhole).contains($0.start ?? 0) }.map(\.withoutStart)
        }
        var cut = Set<Int64>()
        let fromMinute = Int64((span.fromUnixSeconds / 60).rounded(.down) * 60)
        if Double(fromMinute) != span.fromUnixSeconds { cut.insert(fromMinute) }
        if Double(endWhole) != span.toUnixSeconds, Double(endWhole) >= span.fromUnixSeconds { cut.insert(endWhole) }
        for minute in cut.sorted() {
            let rows = try BucketSumRow.fetchAll(
                db,
                sql: """
                    SELECT start, vm_id, model_version_id, \(BucketSumRow.sums(weight: "1")) FROM minute_bucket
                    WHERE start >= ? AND start <= ? GROUP BY start, vm_id, model_version_id
                    """,
                arguments: [minute - 60, minute + 60]
            ) + held.filter { ((minute - 60)...(minute + 60)).contains($0.start ?? 0) }
            var counted: [Int64: [Int64: Double]] = [:]
            for row in rows { counted[row.vmID, default: [:]][row.start ?? 0, default: 0] += countedSeconds(row.amount) }
            let cutIDs = Set(rows.lazy.filter { $0.start == minute }.map(\.vmID))
            let active = Dictionary(try vms(ids: Array(cutIDs), db).map { ($0.id, $0.active) }, uniquingKeysWith: { first, _ in first })
            for var row in rows where row.start == minute {
                let byStart = counted[row.vmID] ?? [:]
                let share = PeriodPlan.share(
                    ofMinuteAt: minute, countedSeconds: byStart[minute] ?? 0, previousCounted: (byStart[minute - 60] ?? 0) > 0,
                    nextCounted: (byStart[minute + 60] ?? 0) > 0, in: span, active: active[row.vmID]
                )
                guard share > 0 else { continue }
                row.amount = row.amount.scaled(by: share)
                row.start = nil
                sums.append(row)
            }
        }
        return sums
    }

    /// The start of the hour `start` is in, Unix seconds.
    static func hourStart(_ start: Int64) -> Int64 { start - ((start % 3600) + 3600) % 3600 }

    /// The seconds a bucket counted the VM (its running seconds; energy without them counts as
    /// time present, so a bucket with energy is never taken for an empty neighbour).
    static func countedSeconds(_ amount: PeriodAmount) -> Double {
        amount.runningSeconds > 0 ? amount.runningSeconds : (amount.energyJoules > 0 ? 60 : 0)
    }

    /// The rows of `sorted` (by start) whose start is in [`from`, `to`).
    private static func rows(in sorted: [BucketSumRow], from: Int64, to: Int64) -> ArraySlice<BucketSumRow> {
        guard from < to else { return [] }
        func firstIndex(atLeast value: Int64) -> Int {
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if (sorted[middle].start ?? 0) < value { low = middle + 1 } else { high = middle }
            }
            return low
        }
        return sorted[firstIndex(atLeast: from)..<firstIndex(atLeast: to)]
    }

    // MARK: Model versions and coverage

    /// The model versions with these ids, by id.
    static func modelVersions(ids: Set<Int64>, _ db: Database) throws -> [ModelVersion] {
        guard !ids.isEmpty else { return [] }
        let list = ids.sorted().map(String.init).joined(separator: ",")
        return try ModelVersionRow.fetchAll(
            db, sql: "SELECT id, parameters, first_used, last_used FROM model_version WHERE id IN (\(list)) ORDER BY id"
        ).map(\.version)
    }

    /// The VMs with these ids (in no order).
    static func vms(ids: [Int64], _ db: Database) throws -> [LedgerVM] {
        guard !ids.isEmpty else { return [] }
        let list = ids.sorted().map(String.init).joined(separator: ",")
        return try withHeld(VMRow.fetchAll(db, sql: "SELECT \(VMRow.columns) FROM vm WHERE id IN (\(list))").map(\.vm), db)
    }

    /// `vms` with the held minute added: its counters, and when the VM was first and last seen.
    static func withHeld(_ vms: [LedgerVM], _ db: Database) throws -> [LedgerVM] {
        let held = Dictionary(try heldEntries(db).map { ($0.vmID, $0) }, uniquingKeysWith: { first, _ in first })
        guard !held.isEmpty else { return vms }
        return vms.map { vm in
            guard let entry = held[vm.id] else { return vm }
            var vm = vm
            vm.firstSeenUnixSeconds = min(vm.firstSeenUnixSeconds, entry.firstSeenUnixSeconds)
            vm.lastSeenUnixSeconds = max(vm.lastSeenUnixSeconds, entry.lastSeenUnixSeconds)
            for bucket in entry.buckets {
                vm.energyJoules += bucket.amount.energyJoules
                vm.carbonGrams += bucket.amount.carbonGrams
            }
            return vm
        }
    }

    /// The start of the oldest hour whose minute buckets are all kept, Unix seconds: `-infinity`
    /// when no minute bucket was ever pruned, `infinity` when none is left. Read from the data, so
    /// the agent and `cinergy report` (which does not know the agent's retention) agree.
    ///
    /// Pruning deletes every minute bucket older than a cut-off, so the minutes after the oldest
    /// one left are all there; only that one's hour may have lost its first minutes, which its
    /// hour bucket (written in the same transactions) tells: it adds up to its minutes only if
    /// none is missing. Both lookups are on the primary key's first column (start): no scan.
    static func minutesKeptFrom(_ db: Database) throws -> Double {
        let oldestMinute = try Int64.fetchOne(db, sql: "SELECT min(start) FROM minute_bucket")
        let oldestHour = try Int64.fetchOne(db, sql: "SELECT min(start) FROM hour_bucket")
        guard let oldestHour else { return -.infinity }
        guard let oldestMinute else { return .infinity }
        let hour = oldestMinute - oldestMinute % 3600
        let inHour = try Row.fetchOne(
            db,
            sql: """
                SELECT (SELECT total(energy_joules) FROM hour_bucket WHERE start = :hour) AS hour_joules,
                       (SELECT total(running_seconds) FROM hour_bucket WHERE start = :hour) AS hour_seconds,
                       (SELECT total(energy_joules) FROM minute_bucket WHERE start >= :hour AND start < :hour + 3600) AS minute_joules,
                       (SELECT total(running_seconds) FROM minute_bucket WHERE start >= :hour AND start < :hour + 3600) AS minute_seconds
                """,
            arguments: ["hour": hour]
        )
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(a), abs(b)) }
        let complete =
            inHour.map { row in
                close(row["hour_joules"], row["minute_joules"]) && close(row["hour_seconds"], row["minute_seconds"])
            } ?? false
        if complete && oldestHour >= hour { return -.infinity }
        return Double(complete ? hour : hour + 3600)
    }

    // MARK: Reading

    /// Runs `body` in a read transaction on GRDB's queue (off the cooperative pool).
    func reading<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(LedgerError) -> T {
        do {
            return try await queue.read(body)
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Runs `body` in a read transaction, blocking the calling thread.
    func readingNow<T>(_ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }
}
