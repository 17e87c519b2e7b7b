import GRDB
import GRDBSQLite

/// Binds a cached statement's parameters in order and steps it with SQLite's C API: the flush
/// runs three statements per VM, and GRDB's `StatementArguments` (an array of boxed values per
/// call) cost more than SQLite's own work there (docs/BENCHMARKS.md, "Ledger at scale").
struct SQLiteBinder {
    let statement: SQLiteStatement
    private(set) var index: Int32 = 1

    /// Resets `statement` for new bindings.
    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
        sqlite3_reset(self.statement)
    }

    mutating func bind(_ value: Double) {
        sqlite3_bind_double(statement, index, value)
        index += 1
    }

    mutating func bind(_ value: Double?) {
        if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    mutating func bind(_ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
        index += 1
    }

    mutating func bind(_ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    mutating func bind(_ value: String?) {
        if let value {
            // SQLITE_TRANSIENT: SQLite copies the text before the C string goes away.
            value.withCString { text in _ = sqlite3_bind_text(statement, index, text, -1, Self.transient) }
        } else {
            sqlite3_bind_null(statement, index)
        }
        index += 1
    }

    /// Steps the statement to its end; returns the first column of its first row, if it has one
    /// (`RETURNING id`).
    func run(_ db: Database) throws -> Int64? {
        defer { sqlite3_reset(statement) }
        var first: Int64?
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return first }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            if first == nil { first = sqlite3_column_int64(statement, 0) }
        }
    }

    /// Steps the statement to its end, handing each row to `body` (read it with `sqlite3_column_*`).
    func rows(_ db: Database, _ body: (SQLiteStatement) throws -> Void) throws {
        defer { sqlite3_reset(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            try body(statement)
        }
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

extension SQLiteBinder {
    /// Binds `bytes` as a blob (SQLite copies them).
    mutating func bind(bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            _ = sqlite3_bind_blob(statement, index, buffer.baseAddress, Int32(clamping: buffer.count), Self.transient)
        }
        index += 1
    }
}
