import GRDB
import GRDBSQLite

/// A prepared statement driven through the SQLite C API, for the harvest's insert loop where
/// building GRDB argument arrays for every row costs more than the insert itself.
///
/// Bind each parameter (1-based), then `step()` or `insert()`. Use only inside the `pool.write`
/// closure that prepared it.
struct BoundStatement {
    private let statement: OpaquePointer
    private let connection: OpaquePointer?
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        let cached = try db.cachedStatement(sql: sql)
        statement = cached.sqliteStatement
        connection = db.sqliteConnection
    }

    func bind(_ index: Int32, _ number: Int64) throws {
        let code = sqlite3_bind_int64(statement, index, number)
        guard code == SQLITE_OK else { throw error(code) }
    }

    func bind(_ index: Int32, _ number: Int64?) throws {
        guard let number else { return try bindNull(index) }
        try bind(index, number)
    }

    /// Binds the text's UTF-8 bytes (copied by SQLite) without making a C string of it first.
    func bind(_ index: Int32, _ text: String?) throws {
        guard var text else { return try bindNull(index) }
        let code = text.withUTF8 { bytes in
            guard let start = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, Self.transient) }
            return UnsafeRawPointer(start).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(statement, index, $0, Int32(bytes.count), Self.transient)
            }
        }
        guard code == SQLITE_OK else { throw error(code) }
    }

    private func bindNull(_ index: Int32) throws {
        let code = sqlite3_bind_null(statement, index)
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Runs the statement with what is bound and returns the first column of its first row.
    @discardableResult
    func step() throws -> Int64? {
        defer { sqlite3_reset(statement) }
        var result: Int64?
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code) }
            if result == nil { result = sqlite3_column_int64(statement, 0) }
        }
        return result
    }

    /// Runs an `INSERT ... ON CONFLICT DO NOTHING` and returns the new row's id, or nil when the row
    /// existed: cheaper than `RETURNING`, which makes SQLite keep the results in a temporary table.
    func insert() throws -> Int64? {
        try step()
        return sqlite3_changes(connection) > 0 ? sqlite3_last_insert_rowid(connection) : nil
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        sqlite3_reset(statement)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
    }
}
