import GRDB

/// The ledger's tables, as migrations.
///
/// - `vm`: one row per VM ever seen (by ledger key: UUID, else `name:` + name), with its identity,
///   when it was first and last seen, and its cumulative counters (what `/metrics` shows).
/// - `minute_bucket` and `hour_bucket`: energy (J), carbon (g) and running time (s) per VM and
///   bucket, keyed by VM and the bucket's start (Unix seconds); `WITHOUT ROWID`, so a row is its
///   key and three numbers.
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
        return migrator
    }
}
