import CinergyCore
public import CinergyLedger
public import Logging
import PostgresNIO

/// The fleet's report from the central database: the ``LedgerReport`` that `GET /report` and
/// `cinergy report` print, summed over the hosts' replicated buckets the way a ledger sums its own
/// (``PeriodPlan``: hour buckets whole, the minute buckets of the edge hours prorated, or the
/// period widened to the hour grid where a host's minutes are no longer all there), then merged
/// by VM across hosts: a VM that moved between hosts (one UUID) is one row whose amounts are the
/// sum of its hosts' intervals. A VM known only by its name is its host's alone.
///
/// Model versions are matched across hosts by digest (the SHA-256 of their parameters, the same
/// on every host) and numbered in the report by first use (ids 1, 2, …; a host's ledger numbers
/// its own).
public enum FleetReport {
    /// The report over `period` of the hosts named (every host when empty), from the database at
    /// `url`. Throws a ``FleetError``, or ``unknownHosts(_:)`` when a host named has no rows.
    public static func report(
        url: FleetDatabaseURL, password: FleetPassword?, hosts: [String], period: LedgerPeriod, by grouping: ReportGrouping,
        logger: Logger
    ) async throws -> LedgerReport {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: password?.text, database: url.database,
            tls: try FleetReplicator.tls(url)
        )
        configuration.options.connectTimeout = .seconds(10)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw FleetError.classify(error)
        }
        do {
            let report = try await report(connection, hosts: hosts, period: period, by: grouping, logger: logger)
            try? await connection.close()
            return report
        } catch {
            try? await connection.close()
            if let error = error as? Failure { throw error }
            throw FleetError.classify(error)
        }
    }

    /// Why the database holds no report to give.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The database has no Cinergy schema (no agent replicated to it yet).
        case noSchema
        /// Hosts asked for that have no rows in the database.
        case unknownHosts([String])

        public var description: String {
            switch self {
            case .noSchema: "the database holds no Cinergy schema: no agent has replicated to it"
            case .unknownHosts(let hosts): "no host named \(hosts.joined(separator: ", ")) in the fleet database"
            }
        }
    }

    /// The report, on an open connection.
    public static func report(
        _ connection: PostgresConnection, hosts: [String], period: LedgerPeriod, by grouping: ReportGrouping, logger: Logger
    ) async throws -> LedgerReport {
        let exists = try await connection.query("SELECT to_regclass('cinergy_schema_version') IS NOT NULL", logger: logger)
        var hasSchema = false
        for try await value in exists.decode(Bool.self) { hasSchema = value }
        guard hasSchema else { throw Failure.noSchema }
        let version = try await FleetSchema.version(connection, logger: logger)
        guard version > 0 else { throw Failure.noSchema }
        guard version <= FleetSchema.currentVersion else {
            throw FleetError.schemaNewer(found: version, known: FleetSchema.currentVersion)
        }
        let all = hosts.isEmpty
        if !all {
            var known = Set<String>()
            let rows = try await connection.query(
                "SELECT host FROM cinergy_host WHERE host = ANY(\(hosts)) UNION SELECT DISTINCT host FROM cinergy_vm WHERE host = ANY(\(hosts))",
                logger: logger
            )
            for try await host in rows.decode(String.self) { known.insert(host) }
            let unknown = hosts.filter { !known.contains($0) }
            guard unknown.isEmpty else { throw Failure.unknownHosts(unknown) }
        }
        let plan = PeriodPlan(period, minutesKeptFrom: try await minutesKeptFrom(connection, all: all, hosts: hosts, logger: logger))

        // Every host's VM and model version, summed as a ledger sums its own.
        var sums: [BucketKey: PeriodAmount] = [:]
        if !plan.hourStarts.isEmpty {
            for row in try await bucketSums(
                connection, resolution: 3600, from: plan.hourStarts.lowerBound, to: plan.hourStarts.upperBound, all: all, hosts: hosts,
                byStart: false, logger: logger
            ) {
                sums[row.key, default: PeriodAmount()] += row.amount
            }
        }
        let vms = try await hostVMs(connection, all: all, hosts: hosts, logger: logger)
        for span in plan.minuteSpans {
            for row in try await minuteSums(connection, in: span, vms: vms, all: all, hosts: hosts, logger: logger) {
                sums[row.key, default: PeriodAmount()] += row.amount
            }
        }

        // Model versions by digest, numbered by first use.
        let versions = try await modelVersions(connection, all: all, hosts: hosts, logger: logger)
        let ids = Dictionary(uniqueKeysWithValues: versions.enumerated().map { ($0.element.digest, Int64($0.offset + 1)) })

        // Merged by VM across hosts.
        var merged: [String: (vm: LedgerVM, lastSeen: Double, amount: PeriodAmount, versions: Set<Int64>)] = [:]
        for (key, amount) in sums {
            let hostKey = HostVM(host: key.host, vmKey: key.vmKey)
            let fleetKey = key.vmKey.hasPrefix("name:") ? "\(key.host) \(key.vmKey)" : key.vmKey
            let hostVM =
                vms[hostKey]
                ?? LedgerVM(
                    id: 0, key: key.vmKey, name: key.vmKey, uuid: nil, nova: nil, firstSeenUnixSeconds: 0, lastSeenUnixSeconds: 0,
                    energyJoules: 0, carbonGrams: 0
                )
            var entry = merged[fleetKey] ?? (hostVM, hostVM.lastSeenUnixSeconds, PeriodAmount(), [])
            if hostVM.lastSeenUnixSeconds > entry.lastSeen {
                // The name and Nova metadata of the host that saw the VM last.
                let first = min(entry.vm.firstSeenUnixSeconds, hostVM.firstSeenUnixSeconds)
                entry.vm = hostVM
                entry.vm.firstSeenUnixSeconds = first
                entry.lastSeen = hostVM.lastSeenUnixSeconds
            } else {
                entry.vm.firstSeenUnixSeconds = min(entry.vm.firstSeenUnixSeconds, hostVM.firstSeenUnixSeconds)
            }
            entry.amount += amount
            if let id = ids[key.modelVersion] { entry.versions.insert(id) }
            merged[fleetKey] = entry
        }
        var amounts: [LedgerReport.VMAmount] = []
        for (index, entry) in merged.sorted(by: { $0.key < $1.key }).enumerated() {
            var vm = entry.value.vm
            vm.id = Int64(index + 1)
            vm.key = entry.key
            amounts.append(LedgerReport.VMAmount(vm: vm, amount: entry.value.amount, modelVersionIDs: entry.value.versions))
        }
        let used = amounts.reduce(into: Set<Int64>()) { $0.formUnion($1.modelVersionIDs) }
        let reported = versions.enumerated().compactMap { index, version -> ModelVersion? in
            let id = Int64(index + 1)
            guard used.contains(id) else { return nil }
            return ModelVersion(
                id: id, canonicalText: version.parameters, firstUsedUnixSeconds: version.firstUsed, lastUsedUnixSeconds: version.lastUsed
            )
        }
        return LedgerReport(plan: plan, grouping: grouping, vms: amounts, modelVersions: reported)
    }

    // MARK: Queries

    /// A host's VM.
    struct HostVM: Hashable {
        var host: String
        var vmKey: String
    }

    /// A host's VM under one model version (a digest).
    struct BucketKey: Hashable {
        var host: String
        var vmKey: String
        var modelVersion: String
    }

    struct SumRow {
        var key: BucketKey
        var start: Int64?
        var amount: PeriodAmount
    }

    /// The weighted sums as a ledger's `BucketSumRow.sums(weight: "1")` adds them: a bucket
    /// without the static/dynamic split (ledger v1) counts as unsplit energy and no CPU time;
    /// embodied grams are unknown when any bucket summed has none; attributed joules are the sum
    /// of the buckets that have them, with the seconds they cover.
    static let sumColumns = """
        sum(energy_joules), sum(coalesce(static_joules, 0)), sum(coalesce(dynamic_joules, 0)),
        sum(CASE WHEN static_joules IS NULL THEN energy_joules ELSE 0 END), sum(reconstructed_joules), sum(carbon_grams),
        sum(embodied_grams), count(*) - count(embodied_grams), sum(running_seconds), sum(coalesce(cpu_seconds, 0)),
        sum(attributed_joules), sum(CASE WHEN attributed_joules IS NULL THEN 0 ELSE coalesce(attributed_seconds, 0) END)
        """

    /// The buckets of `resolution` starting in [`from`, `to`) (`from` and `to` inclusive when
    /// `byStart`), summed by host, VM and model version (and start when `byStart`).
    static func bucketSums(
        _ connection: PostgresConnection, resolution: Int, from: Int64, to: Int64, all: Bool, hosts: [String], byStart: Bool,
        logger: Logger
    ) async throws -> [SumRow] {
        let start = byStart ? "start" : "0::BIGINT"
        let upper = byStart ? "<=" : "<"
        let query: PostgresQuery = """
            SELECT host, vm_key, model_version, \(unescaped: start), \(unescaped: sumColumns)
            FROM cinergy_bucket
            WHERE resolution_seconds = \(resolution) AND start >= \(from) AND start \(unescaped: upper) \(to) AND (\(all) OR host = ANY(\(hosts)))
            GROUP BY host, vm_key, model_version\(unescaped: byStart ? ", start" : "")
            """
        let rows = try await connection.query(query, logger: logger)
        var sums: [SumRow] = []
        for try await (
            host, vmKey, version, bucketStart, energy, staticJ, dynamicJ, unsplit, reconstructed, carbon, embodied, unaccounted, running, cpu,
            attributed, attributedSeconds
        )
            in rows.decode(
                (String, String, String, Int64, Double, Double, Double, Double, Double, Double, Double?, Int64, Double, Double, Double?, Double).self
            )
        {
            sums.append(
                SumRow(
                    key: BucketKey(host: host, vmKey: vmKey, modelVersion: version), start: byStart ? bucketStart : nil,
                    amount: PeriodAmount(
                        energyJoules: energy, staticJoules: staticJ, dynamicJoules: dynamicJ, unsplitJoules: unsplit,
                        reconstructedJoules: reconstructed, carbonGrams: carbon, embodiedGrams: unaccounted > 0 ? nil : (embodied ?? 0),
                        attributedJoules: attributed, attributedSeconds: attributedSeconds, runningSeconds: running, cpuSeconds: cpu
                    )
                )
            )
        }
        return sums
    }

    /// The minute buckets of `span` (within one hour) by host, VM and model version, each
    /// weighted by its share of the span: whole minutes added up in SQL, the (at most two)
    /// minutes the span cuts read with their neighbours and prorated by ``PeriodPlan/share``,
    /// per host as that host's ledger does.
    static func minuteSums(
        _ connection: PostgresConnection, in span: LedgerPeriod, vms: [HostVM: LedgerVM], all: Bool, hosts: [String], logger: Logger
    ) async throws -> [SumRow] {
        let firstWhole = Int64((span.fromUnixSeconds / 60).rounded(.up) * 60)
        let endWhole = Int64((span.toUnixSeconds / 60).rounded(.down) * 60)
        var sums: [SumRow] = []
        if firstWhole < endWhole {
            sums += try await bucketSums(
                connection, resolution: 60, from: firstWhole, to: endWhole, all: all, hosts: hosts, byStart: false, logger: logger
            )
        }
        var cut = Set<Int64>()
        let fromMinute = Int64((span.fromUnixSeconds / 60).rounded(.down) * 60)
        if Double(fromMinute) != span.fromUnixSeconds { cut.insert(fromMinute) }
        if Double(endWhole) != span.toUnixSeconds, Double(endWhole) >= span.fromUnixSeconds { cut.insert(endWhole) }
        for minute in cut.sorted() {
            let rows = try await bucketSums(
                connection, resolution: 60, from: minute - 60, to: minute + 60, all: all, hosts: hosts, byStart: true, logger: logger
            )
            var counted: [HostVM: [Int64: Double]] = [:]
            for row in rows {
                counted[HostVM(host: row.key.host, vmKey: row.key.vmKey), default: [:]][row.start ?? 0, default: 0] += row.amount.countedSeconds
            }
            for var row in rows where row.start == minute {
                let hostVM = HostVM(host: row.key.host, vmKey: row.key.vmKey)
                let byStart = counted[hostVM] ?? [:]
                let share = PeriodPlan.share(
                    ofMinuteAt: minute, countedSeconds: byStart[minute] ?? 0, previousCounted: (byStart[minute - 60] ?? 0) > 0,
                    nextCounted: (byStart[minute + 60] ?? 0) > 0, in: span, active: vms[hostVM]?.active
                )
                guard share > 0 else { continue }
                row.amount = row.amount.scaled(by: share)
                row.start = nil
                sums.append(row)
            }
        }
        return sums
    }

    /// Every VM of the hosts, by host and ledger key.
    static func hostVMs(_ connection: PostgresConnection, all: Bool, hosts: [String], logger: Logger) async throws -> [HostVM: LedgerVM] {
        let rows = try await connection.query(
            """
            SELECT host, vm_key, name, uuid, nova_name, nova_project_id, nova_project_name, nova_user_id, nova_user_name, nova_flavor,
                   first_seen, last_seen, energy_joules, carbon_grams
            FROM cinergy_vm WHERE \(all) OR host = ANY(\(hosts))
            """,
            logger: logger
        )
        var vms: [HostVM: LedgerVM] = [:]
        for try await (host, key, name, uuid, displayName, projectID, projectName, userID, userName, flavor, first, last, energy, carbon)
            in rows.decode(
                (String, String, String, String?, String?, String?, String?, String?, String?, String?, Double, Double, Double, Double).self
            )
        {
            let names = [displayName, projectID, projectName, userID, userName, flavor]
            let nova =
                names.allSatisfy { $0 == nil }
                ? nil
                : NovaInstance(
                    displayName: displayName, projectID: projectID, projectName: projectName, userID: userID, userName: userName,
                    flavorName: flavor
                )
            vms[HostVM(host: host, vmKey: key)] = LedgerVM(
                id: 0, key: key, name: name, uuid: uuid, nova: nova, firstSeenUnixSeconds: first, lastSeenUnixSeconds: last,
                energyJoules: energy, carbonGrams: carbon
            )
        }
        return vms
    }

    /// A model version across the hosts.
    struct Version {
        var digest: String
        var parameters: String
        var firstUsed: Double
        var lastUsed: Double
    }

    /// The hosts' model versions by digest, in order of first use.
    static func modelVersions(_ connection: PostgresConnection, all: Bool, hosts: [String], logger: Logger) async throws -> [Version] {
        let rows = try await connection.query(
            """
            SELECT digest, max(parameters), min(first_used), max(last_used) FROM cinergy_model_version
            WHERE \(all) OR host = ANY(\(hosts)) GROUP BY digest ORDER BY 3, 1
            """,
            logger: logger
        )
        var versions: [Version] = []
        for try await (digest, parameters, first, last) in rows.decode((String, String, Double, Double).self) {
            versions.append(Version(digest: digest, parameters: parameters, firstUsed: first, lastUsed: last))
        }
        return versions
    }

    /// The start of the oldest hour whose minute buckets are all there for every host
    /// (``PeriodPlan/minutesKeptFrom(oldestMinute:oldestHour:hourTotals:minuteTotals:)`` per
    /// host, the latest of them): a period edge before it is widened to the hour grid.
    static func minutesKeptFrom(_ connection: PostgresConnection, all: Bool, hosts: [String], logger: Logger) async throws -> Double {
        let oldest = try await connection.query(
            """
            SELECT host, min(CASE WHEN resolution_seconds = 60 THEN start END), min(CASE WHEN resolution_seconds = 3600 THEN start END)
            FROM cinergy_bucket WHERE \(all) OR host = ANY(\(hosts)) GROUP BY host
            """,
            logger: logger
        )
        var byHost: [(host: String, minute: Int64?, hour: Int64?)] = []
        for try await (host, minute, hour) in oldest.decode((String, Int64?, Int64?).self) { byHost.append((host, minute, hour)) }
        var kept = -Double.infinity
        for (host, minute, hour) in byHost {
            var hourTotals: (joules: Double, seconds: Double)?
            var minuteTotals: (joules: Double, seconds: Double)?
            if let minute, hour != nil {
                let start = minute - minute % 3600
                let totals = try await connection.query(
                    """
                    SELECT coalesce(sum(CASE WHEN resolution_seconds = 3600 THEN energy_joules END), 0),
                           coalesce(sum(CASE WHEN resolution_seconds = 3600 THEN running_seconds END), 0),
                           coalesce(sum(CASE WHEN resolution_seconds = 60 THEN energy_joules END), 0),
                           coalesce(sum(CASE WHEN resolution_seconds = 60 THEN running_seconds END), 0)
                    FROM cinergy_bucket
                    WHERE host = \(host) AND ((resolution_seconds = 3600 AND start = \(start))
                        OR (resolution_seconds = 60 AND start >= \(start) AND start < \(start + 3600)))
                    """,
                    logger: logger
                )
                for try await (hourJoules, hourSeconds, minuteJoules, minuteSeconds) in totals.decode((Double, Double, Double, Double).self) {
                    hourTotals = (hourJoules, hourSeconds)
                    minuteTotals = (minuteJoules, minuteSeconds)
                }
            }
            kept = max(kept, PeriodPlan.minutesKeptFrom(oldestMinute: minute, oldestHour: hour, hourTotals: hourTotals, minuteTotals: minuteTotals))
        }
        return kept
    }
}
