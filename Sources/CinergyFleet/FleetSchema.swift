import Logging
import PostgresNIO

/// The central database's schema, created and migrated by the agents themselves.
///
/// `cinergy_schema_version` has one row per migration applied. An agent applies the versions it
/// knows that are missing, each in one transaction with its row (two agents migrating at once:
/// one inserts the row, the other's transaction fails on the row's key and its next round finds
/// the version applied). An agent that finds a version newer than ``currentVersion`` writes
/// nothing and says why (``FleetError/schemaNewer(found:known:)``): an older agent never writes
/// rows whose meaning a newer schema changed.
///
/// Plain tables, primary keys, `INSERT … ON CONFLICT`, views: no extension, no trigger, no stored
/// procedure, no advisory lock, no sequence, no foreign key (docs/FLEET.md says what that keeps
/// open: Citus, CockroachDB, YugabyteDB).
enum FleetSchema {
    /// The newest schema version this agent knows.
    static let currentVersion = 2

    /// The statements of each version, oldest first (version = index + 1).
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE IF NOT EXISTS cinergy_host (
                host TEXT PRIMARY KEY,
                ledger_change_seq BIGINT NOT NULL,
                replicated_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS cinergy_vm (
                host TEXT NOT NULL,
                vm_key TEXT NOT NULL,
                name TEXT NOT NULL,
                uuid TEXT,
                nova_name TEXT,
                nova_project_id TEXT,
                nova_project_name TEXT,
                nova_user_id TEXT,
                nova_user_name TEXT,
                nova_flavor TEXT,
                first_seen DOUBLE PRECISION NOT NULL,
                last_seen DOUBLE PRECISION NOT NULL,
                energy_joules DOUBLE PRECISION NOT NULL,
                static_joules DOUBLE PRECISION NOT NULL,
                dynamic_joules DOUBLE PRECISION NOT NULL,
                carbon_grams DOUBLE PRECISION NOT NULL,
                cpu_seconds DOUBLE PRECISION NOT NULL,
                running_seconds DOUBLE PRECISION NOT NULL,
                reconstructed_joules DOUBLE PRECISION NOT NULL,
                embodied_grams DOUBLE PRECISION,
                attributed_joules DOUBLE PRECISION,
                PRIMARY KEY (host, vm_key)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS cinergy_model_version (
                host TEXT NOT NULL,
                digest TEXT NOT NULL,
                parameters TEXT NOT NULL,
                first_used DOUBLE PRECISION NOT NULL,
                last_used DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (host, digest)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS cinergy_bucket (
                host TEXT NOT NULL,
                resolution_seconds INTEGER NOT NULL,
                start BIGINT NOT NULL,
                vm_key TEXT NOT NULL,
                model_version TEXT NOT NULL,
                energy_joules DOUBLE PRECISION NOT NULL,
                static_joules DOUBLE PRECISION,
                dynamic_joules DOUBLE PRECISION,
                carbon_grams DOUBLE PRECISION NOT NULL,
                running_seconds DOUBLE PRECISION NOT NULL,
                cpu_seconds DOUBLE PRECISION,
                reconstructed_joules DOUBLE PRECISION NOT NULL,
                embodied_grams DOUBLE PRECISION,
                attributed_joules DOUBLE PRECISION,
                PRIMARY KEY (host, resolution_seconds, start, vm_key, model_version)
            )
            """,
            "CREATE INDEX IF NOT EXISTS cinergy_bucket_vm ON cinergy_bucket (vm_key, resolution_seconds, start)",
            // A VM across hosts: its UUID (the ledger key of a VM with one); a VM known only by
            // its name is that host's alone.
            """
            CREATE OR REPLACE VIEW cinergy_fleet_vm AS
            SELECT CASE WHEN vm_key LIKE 'name:%' THEN host || ' ' || vm_key ELSE vm_key END AS vm,
                   max(name) AS name, max(uuid) AS uuid, max(nova_project_id) AS project_id,
                   max(nova_project_name) AS project_name, count(*) AS host_count,
                   min(first_seen) AS first_seen, max(last_seen) AS last_seen
            FROM cinergy_vm
            GROUP BY 1
            """,
            """
            CREATE OR REPLACE VIEW cinergy_vm_month AS
            SELECT date_trunc('month', to_timestamp(b.start) AT TIME ZONE 'UTC') AS month,
                   CASE WHEN b.vm_key LIKE 'name:%' THEN b.host || ' ' || b.vm_key ELSE b.vm_key END AS vm,
                   count(DISTINCT b.host) AS host_count,
                   sum(b.energy_joules) AS energy_joules, sum(b.static_joules) AS static_joules,
                   sum(b.dynamic_joules) AS dynamic_joules, sum(b.carbon_grams) AS carbon_grams,
                   sum(b.running_seconds) AS running_seconds, sum(b.cpu_seconds) AS cpu_seconds,
                   sum(b.reconstructed_joules) AS reconstructed_joules, sum(b.embodied_grams) AS embodied_grams,
                   sum(b.attributed_joules) AS attributed_joules
            FROM cinergy_bucket AS b
            WHERE b.resolution_seconds = 3600
            GROUP BY 1, 2
            """,
            """
            CREATE OR REPLACE VIEW cinergy_project_month AS
            SELECT m.month, v.project_id, max(v.project_name) AS project_name, count(*) AS vm_count,
                   sum(m.energy_joules) AS energy_joules, sum(m.static_joules) AS static_joules,
                   sum(m.dynamic_joules) AS dynamic_joules, sum(m.carbon_grams) AS carbon_grams,
                   sum(m.running_seconds) AS running_seconds, sum(m.cpu_seconds) AS cpu_seconds,
                   sum(m.reconstructed_joules) AS reconstructed_joules, sum(m.embodied_grams) AS embodied_grams,
                   sum(m.attributed_joules) AS attributed_joules
            FROM cinergy_vm_month AS m LEFT JOIN cinergy_fleet_vm AS v ON v.vm = m.vm
            GROUP BY m.month, v.project_id
            """,
        ],
        // v2: the seconds of the host meter's readings each row's attributed joules cover (ledger
        // v6); rows sent before it are taken to cover their running seconds, as the ledger's
        // migration takes them. The views gain the column at their end.
        [
            "ALTER TABLE cinergy_vm ADD COLUMN IF NOT EXISTS attributed_seconds DOUBLE PRECISION",
            "ALTER TABLE cinergy_bucket ADD COLUMN IF NOT EXISTS attributed_seconds DOUBLE PRECISION",
            "UPDATE cinergy_vm SET attributed_seconds = running_seconds WHERE attributed_joules IS NOT NULL AND attributed_seconds IS NULL",
            "UPDATE cinergy_bucket SET attributed_seconds = running_seconds WHERE attributed_joules IS NOT NULL AND attributed_seconds IS NULL",
            """
            CREATE OR REPLACE VIEW cinergy_vm_month AS
            SELECT date_trunc('month', to_timestamp(b.start) AT TIME ZONE 'UTC') AS month,
                   CASE WHEN b.vm_key LIKE 'name:%' THEN b.host || ' ' || b.vm_key ELSE b.vm_key END AS vm,
                   count(DISTINCT b.host) AS host_count,
                   sum(b.energy_joules) AS energy_joules, sum(b.static_joules) AS static_joules,
                   sum(b.dynamic_joules) AS dynamic_joules, sum(b.carbon_grams) AS carbon_grams,
                   sum(b.running_seconds) AS running_seconds, sum(b.cpu_seconds) AS cpu_seconds,
                   sum(b.reconstructed_joules) AS reconstructed_joules, sum(b.embodied_grams) AS embodied_grams,
                   sum(b.attributed_joules) AS attributed_joules, sum(b.attributed_seconds) AS attributed_seconds
            FROM cinergy_bucket AS b
            WHERE b.resolution_seconds = 3600
            GROUP BY 1, 2
            """,
            """
            CREATE OR REPLACE VIEW cinergy_project_month AS
            SELECT m.month, v.project_id, max(v.project_name) AS project_name, count(*) AS vm_count,
                   sum(m.energy_joules) AS energy_joules, sum(m.static_joules) AS static_joules,
                   sum(m.dynamic_joules) AS dynamic_joules, sum(m.carbon_grams) AS carbon_grams,
                   sum(m.running_seconds) AS running_seconds, sum(m.cpu_seconds) AS cpu_seconds,
                   sum(m.reconstructed_joules) AS reconstructed_joules, sum(m.embodied_grams) AS embodied_grams,
                   sum(m.attributed_joules) AS attributed_joules, sum(m.attributed_seconds) AS attributed_seconds
            FROM cinergy_vm_month AS m LEFT JOIN cinergy_fleet_vm AS v ON v.vm = m.vm
            GROUP BY m.month, v.project_id
            """,
        ],
    ]

    /// Brings the schema to ``currentVersion``; returns the version found before (0: none).
    /// Throws ``FleetError/schemaNewer(found:known:)`` when the database is ahead of this agent.
    @discardableResult
    static func migrate(_ connection: PostgresConnection, hostIdentity: String, logger: Logger) async throws -> Int {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS cinergy_schema_version (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                applied_by TEXT NOT NULL
            )
            """,
            logger: logger
        )
        let found = try await version(connection, logger: logger)
        guard found <= currentVersion else { throw FleetError.schemaNewer(found: found, known: currentVersion) }
        for version in (found + 1)..<(currentVersion + 1) {
            let statements = migrations[version - 1]
            try await connection.withTransaction(logger: logger) { connection in
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO cinergy_schema_version (version, applied_by) VALUES (\(version), \(hostIdentity))", logger: logger
                )
            }
            logger.notice("fleet: central schema migrated", metadata: ["version": "\(version)"])
        }
        return found
    }

    /// The newest version applied (0: none).
    static func version(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM cinergy_schema_version", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }
}
