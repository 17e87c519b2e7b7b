import CinergyCore
import CinergyLedger
import PostgresNIO

/// The central upserts: each page of rows is one multi-row `INSERT … ON CONFLICT (key) DO UPDATE`
/// that writes every figure of the row as the ledger holds it now (never an increment), so a page
/// sent twice leaves the rows a page sent once does.
extension FleetReplicator {
    /// One value of a row to bind.
    enum Value {
        case text(String?)
        case integer(Int64)
        case real(Double?)
    }

    func upsertModelVersions(_ versions: [LedgerChangedModelVersion], _ connection: PostgresConnection) async throws {
        let host = configuration.hostIdentity
        try await upsert(
            "cinergy_model_version", columns: ["host", "digest", "parameters", "first_used", "last_used"], key: 2,
            rows: versions.map { [.text(host), .text($0.digest), .text($0.parameters), .real($0.firstUsedUnixSeconds), .real($0.lastUsedUnixSeconds)] },
            connection
        )
    }

    func upsertVMs(_ vms: [LedgerChangedVM], _ connection: PostgresConnection) async throws {
        let host = configuration.hostIdentity
        try await upsert(
            "cinergy_vm",
            columns: [
                "host", "vm_key", "name", "uuid", "nova_name", "nova_project_id", "nova_project_name", "nova_user_id", "nova_user_name",
                "nova_flavor", "first_seen", "last_seen", "energy_joules", "static_joules", "dynamic_joules", "carbon_grams", "cpu_seconds",
                "running_seconds", "reconstructed_joules", "embodied_grams", "attributed_joules", "attributed_seconds",
            ],
            key: 2,
            rows: vms.map { vm in
                let nova = vm.nova
                let totals = vm.totals
                return [
                    .text(host), .text(vm.key), .text(vm.name), .text(vm.uuid), .text(nova?.displayName), .text(nova?.projectID),
                    .text(nova?.projectName), .text(nova?.userID), .text(nova?.userName), .text(nova?.flavorName),
                    .real(vm.firstSeenUnixSeconds), .real(vm.lastSeenUnixSeconds), .real(totals.energyJoules), .real(totals.staticJoules),
                    .real(totals.dynamicJoules), .real(totals.carbonGrams), .real(totals.cpuSeconds), .real(totals.runningSeconds),
                    .real(totals.reconstructedJoules), .real(totals.embodiedGrams), .real(totals.attributedJoules),
                    .real(totals.storedAttributedSeconds),
                ]
            },
            connection
        )
    }

    func upsertBuckets(_ buckets: [LedgerChangedBucket], digests: [Int64: String], _ connection: PostgresConnection) async throws {
        let host = configuration.hostIdentity
        var rows: [[Value]] = []
        rows.reserveCapacity(buckets.count)
        for bucket in buckets {
            guard let digest = digests[bucket.modelVersionID] else {
                throw FleetError.ledger("bucket of model version \(bucket.modelVersionID), which the ledger does not have")
            }
            rows.append([
                .text(host), .integer(bucket.resolution.rawValue), .integer(bucket.start), .text(bucket.vmKey), .text(digest),
                .real(bucket.energyJoules), .real(bucket.staticJoules), .real(bucket.dynamicJoules), .real(bucket.carbonGrams),
                .real(bucket.runningSeconds), .real(bucket.cpuSeconds), .real(bucket.reconstructedJoules), .real(bucket.embodiedGrams),
                .real(bucket.attributedJoules), .real(bucket.attributedSeconds),
            ])
        }
        try await upsert(
            "cinergy_bucket",
            columns: [
                "host", "resolution_seconds", "start", "vm_key", "model_version", "energy_joules", "static_joules", "dynamic_joules",
                "carbon_grams", "running_seconds", "cpu_seconds", "reconstructed_joules", "embodied_grams", "attributed_joules",
                "attributed_seconds",
            ],
            key: 5, rows: rows, connection
        )
    }

    /// `INSERT INTO table (columns) VALUES (…), (…) ON CONFLICT (the first `key` columns) DO UPDATE
    /// SET` every other column to the value sent.
    private func upsert(_ table: String, columns: [String], key: Int, rows: [[Value]], _ connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        var bindings = PostgresBindings(capacity: rows.count * columns.count)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        var number = 0
        for row in rows {
            var placeholders: [String] = []
            for value in row {
                number += 1
                placeholders.append("$\(number)")
                switch value {
                case .text(let text): bindings.append(text)
                case .integer(let integer): bindings.append(integer)
                case .real(let real): bindings.append(real)
                }
            }
            tuples.append("(" + placeholders.joined(separator: ", ") + ")")
        }
        let updates = columns.dropFirst(key).map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let sql = """
            INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))
            ON CONFLICT (\(columns.prefix(key).joined(separator: ", "))) DO UPDATE SET \(updates)
            """
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }
}
