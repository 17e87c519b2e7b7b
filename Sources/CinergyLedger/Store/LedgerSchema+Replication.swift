import GRDB

extension LedgerSchema {
    /// The tables whose rows carry a `change_seq` (v4): what the fleet's replication sends.
    static let replicatedTables = ["vm", "model_version", "minute_bucket", "hour_bucket"]

    /// v4: change sequences for the fleet's replication (issue 20). Every row of `vm`,
    /// `model_version`, `minute_bucket` and `hour_bucket` carries the sequence number of the write
    /// that last changed it (`change_seq`, indexed); `replication_state` holds the counter those
    /// numbers come from (`change_seq`, moved on once per write transaction) and the watermark
    /// (`replicated_seq`: every change up to it is in the central database named by
    /// `replicated_target`). Rows written before v4 get sequence 1 and the watermark starts at 0,
    /// so a ledger that existed before replication is sent whole the first time.
    static func migrateToV4(_ db: Database) throws {
        for table in replicatedTables {
            try db.execute(
                sql: """
                    ALTER TABLE \(table) ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
                    CREATE INDEX \(table)_change ON \(table)(change_seq);
                    """
            )
        }
        try db.execute(
            sql: """
                CREATE TABLE replication_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    change_seq INTEGER NOT NULL,
                    replicated_seq INTEGER NOT NULL,
                    replicated_target TEXT,
                    replicated_at REAL
                );
                INSERT INTO replication_state (id, change_seq, replicated_seq) VALUES (1, 1, 0);
                """
        )
    }

    /// The SQL that gives a row the sequence of the write in progress (after
    /// ``advanceChangeSequence(_:)``), as a value in an `INSERT`.
    static let currentChangeSequence = "(SELECT change_seq FROM replication_state WHERE id = 1)"

    /// Moves the change counter on: the rows the current transaction writes carry the new value.
    static func advanceChangeSequence(_ db: Database) throws {
        try db.execute(sql: "UPDATE replication_state SET change_seq = change_seq + 1 WHERE id = 1")
    }
}
