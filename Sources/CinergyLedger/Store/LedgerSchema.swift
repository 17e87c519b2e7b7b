import GRDB

/// The ledger's tables, as migrations.
///
/// - `vm`: one row per VM ever seen (by ledger key: UUID, else `name:` + name), with its identity,
///   when it was first and last seen, and its cumulative counters (what `/metrics` shows).
/// - `minute_bucket` and `hour_bucket`: energy (J: static, dynamic, and the part reconstructed
///   across an agent's absence), carbon (g), running time (s) and CPU time (s) per VM, bucket and
///   model version, keyed by the bucket's start (Unix seconds), the VM and the version;
///   `WITHOUT ROWID`, so a row is its key and its numbers.
/// - `model_version` (v2): one row per distinct set of what turns CPU time into watts and grams
///   (``ModelVersion``), by its canonical text.
/// - v3: `embodied_grams` and `attributed_joules` on `vm` and both bucket tables: the VM's share of
///   the server's embodied emissions and of the host meter's measured energy (NULL: not accounted).
/// - `ledger_state` (v2): one row, what the last flush knew of the host (boot id, `/proc/stat`
///   ticks), for the reconstruction of what happened while no agent wrote.
/// - `change_seq` (v4) on `vm`, `model_version` and both bucket tables: the sequence number of the
///   write that last changed the row, and `replication_state`: the counter those numbers come
///   from and the replication's watermark (LedgerSchema+Replication.swift).
/// - `attributed_seconds` (v6) on `vm` and both bucket tables: the seconds of the host meter's
///   readings the row's attributed joules cover (NULL: none).
/// - `held_minute` (v5): the amounts of the minute still running, each VM's checkpoint with them,
///   in one row that each flush replaces; written out to the VM rows and buckets once the minute
///   is over, and added by every read (LedgerSchema+Held.swift).
enum LedgerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE vm (
                        id INTEGER PRIMARY KEY,
                        key TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        uuid TEXT,
                        nova_name TEXT,
                        nova_project_id TEXT,
                        nova_project_name TEXT,
                        nova_user_id TEXT,
                        nova_user_name TEXT,
                        nova_flavor TEXT,
                        first_seen REAL NOT NULL,
                        last_seen REAL NOT NULL,
                        energy_joules REAL NOT NULL DEFAULT 0,
                        carbon_grams REAL NOT NULL DEFAULT 0
                    );
                    CREATE TABLE minute_bucket (
                        vm_id INTEGER NOT NULL REFERENCES vm(id),
                        start INTEGER NOT NULL,
                        energy_joules REAL NOT NULL,
                        carbon_grams REAL NOT NULL,
                        running_seconds REAL NOT NULL,
                        PRIMARY KEY (vm_id, start)
                    ) WITHOUT ROWID;
                    CREATE TABLE hour_bucket (
                        vm_id INTEGER NOT NULL REFERENCES vm(id),
                        start INTEGER NOT NULL,
                        energy_joules REAL NOT NULL,
                        carbon_grams REAL NOT NULL,
                        running_seconds REAL NOT NULL,
                        PRIMARY KEY (vm_id, start)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v2") { db in
            try migrateToV2(db)
        }
        // v3: the VM's share of the server's embodied emissions (issue 19), grams CO2eq, and of the
        // host meter's measured energy (issue 18), joules; NULL where they were not accounted
        // (SERVER_EMBODIED_EMISSIONS unset, no host meter, or written before v3).
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    ALTER TABLE vm ADD COLUMN embodied_grams REAL;
                    ALTER TABLE minute_bucket ADD COLUMN embodied_grams REAL;
                    ALTER TABLE hour_bucket ADD COLUMN embodied_grams REAL;
                    ALTER TABLE vm ADD COLUMN attributed_joules REAL;
                    ALTER TABLE minute_bucket ADD COLUMN attributed_joules REAL;
                    ALTER TABLE hour_bucket ADD COLUMN attributed_joules REAL;
                    """
            )
        }
        migrator.registerMigration("v4") { db in
            try migrateToV4(db)
        }
        migrator.registerMigration("v5") { db in
            try migrateToV5(db)
        }
        // v6: the seconds of the host meter's readings each row's attributed joules cover (issue
        // 18): minutes and hours sum the parts the meter measured, and say how much of the running
        // time that is. Rows written before v6 did not record it: those with attributed joules
        // are taken to cover their running seconds.
        migrator.registerMigration("v6") { db in
            try db.execute(
                sql: """
                    ALTER TABLE vm ADD COLUMN attributed_seconds REAL;
                    ALTER TABLE minute_bucket ADD COLUMN attributed_seconds REAL;
                    ALTER TABLE hour_bucket ADD COLUMN attributed_seconds REAL;
                    UPDATE vm SET attributed_seconds = running_seconds WHERE attributed_joules IS NOT NULL;
                    UPDATE minute_bucket SET attributed_seconds = running_seconds WHERE attributed_joules IS NOT NULL;
                    UPDATE hour_bucket SET attributed_seconds = running_seconds WHERE attributed_joules IS NOT NULL;
                    """
            )
        }
        return migrator
    }

    /// The unrecorded model version v1's buckets are filed under.
    static let v1Parameters = "UNRECORDED=written before model versions (ledger v1)"

    /// v2: model versions, buckets split by version with static/dynamic energy, CPU time and the
    /// reconstructed part, each VM's checkpoint and running totals, and the ledger's own state.
    /// v1's rows are carried over: their buckets go to one unrecorded model version, with the
    /// static/dynamic split and CPU time unknown (NULL).
    static func migrateToV2(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE model_version (
                    id INTEGER PRIMARY KEY,
                    parameters TEXT NOT NULL UNIQUE,
                    first_used REAL NOT NULL,
                    last_used REAL NOT NULL
                );
                ALTER TABLE vm ADD COLUMN checkpoint_pid INTEGER;
                ALTER TABLE vm ADD COLUMN checkpoint_start_ticks INTEGER;
                ALTER TABLE vm ADD COLUMN checkpoint_cpu_ticks INTEGER;
                ALTER TABLE vm ADD COLUMN checkpoint_unix REAL;
                ALTER TABLE vm ADD COLUMN static_joules REAL NOT NULL DEFAULT 0;
                ALTER TABLE vm ADD COLUMN dynamic_joules REAL NOT NULL DEFAULT 0;
                ALTER TABLE vm ADD COLUMN cpu_seconds REAL NOT NULL DEFAULT 0;
                ALTER TABLE vm ADD COLUMN running_seconds REAL NOT NULL DEFAULT 0;
                ALTER TABLE vm ADD COLUMN reconstructed_joules REAL NOT NULL DEFAULT 0;
                CREATE TABLE ledger_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    boot_id TEXT,
                    last_flush REAL,
                    host_busy_ticks INTEGER,
                    host_total_ticks INTEGER
                );
                INSERT INTO ledger_state (id) VALUES (1);
                """
        )
        let hasV1Buckets =
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM minute_bucket) OR EXISTS (SELECT 1 FROM hour_bucket)"
            ) ?? false
        var v1Version: Int64?
        if hasV1Buckets {
            let first = try Double.fetchOne(db, sql: "SELECT min(first_seen) FROM vm") ?? 0
            let last = try Double.fetchOne(db, sql: "SELECT max(last_seen) FROM vm") ?? first
            try db.execute(
                sql: "INSERT INTO model_version (parameters, first_used, last_used) VALUES (?, ?, ?)",
                arguments: [v1Parameters, first, last]
            )
            v1Version = db.lastInsertedRowID
        }
        for table in ["minute_bucket", "hour_bucket"] {
            try db.execute(
                sql: """
                    CREATE TABLE \(table)_v2 (
                        start INTEGER NOT NULL,
                        vm_id INTEGER NOT NULL REFERENCES vm(id),
                        model_version_id INTEGER NOT NULL REFERENCES model_version(id),
                        energy_joules REAL NOT NULL,
                        static_joules REAL,
                        dynamic_joules REAL,
                        carbon_grams REAL NOT NULL,
                        running_seconds REAL NOT NULL,
                        cpu_seconds REAL,
                        reconstructed_joules REAL NOT NULL DEFAULT 0,
                        PRIMARY KEY (start, vm_id, model_version_id)
                    ) WITHOUT ROWID;
                    """
            )
            if let v1Version {
                try db.execute(
                    sql: """
                        INSERT INTO \(table)_v2 (start, vm_id, model_version_id, energy_joules, carbon_grams, running_seconds)
                        SELECT start, vm_id, ?, energy_joules, carbon_grams, running_seconds FROM \(table)
                        """,
                    arguments: [v1Version]
                )
            }
            try db.execute(
                sql: """
                    DROP TABLE \(table);
                    ALTER TABLE \(table)_v2 RENAME TO \(table);
                    CREATE INDEX \(table)_vm ON \(table)(vm_id, start);
                    """
            )
        }
        // v1's running totals (kept by max()) stay the VMs' totals; their split is unknown.
    }
}
