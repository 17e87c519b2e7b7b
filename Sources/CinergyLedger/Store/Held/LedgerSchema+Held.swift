import GRDB

extension LedgerSchema {
    /// v5: `held_minute`, one row: the amounts of the minute still running and each VM's
    /// checkpoint, as one blob (``HeldMinuteEncoder``) that each flush replaces, so that a flush
    /// writes one row for all VMs; the VM rows and buckets get them once their minute is over.
    static func migrateToV5(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE held_minute (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    data BLOB NOT NULL
                );
                """
        )
    }
}
