import GRDB
import GRDBSQLite

/// A prepared statement driven through the SQLite C API, for the harvest's insert loop where
/// building GRDB argument arrays for every row costs more than the insert itself.
///
/// Use only inside the `pool.write` closure that prepared it.
struct BoundStatement {
    private let statement: OpaquePointer
    private let connection: OpaquePointer?
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        let cached = try db.cachedStatement(sql: sql)
        statement = cached.sqliteStatement
        connection = db.sqliteConnection
    }

    /// A value to bind.
    enum Value {
        case integer(Int64)
        case text(String)
        case null
    }

    /// Binds `values` in order, runs the statement, and returns the first column of its first row.
    @discardableResult
    func run(_ values: [Value]) throws -> Int64? {
        sqlite3_reset(statement)
        var index: Int32 = 1
        for value in values {
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .text(let text): code = sqlite3_bind_text(statement, index, text, -1, Self.transient)
            case .null: code = sqlite3_bind_null(statement, index)
            }
            guard code == SQLITE_OK else { throw error(code) }
            index += 1
        }
        var result: Int64?
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code) }
            if result == nil { result = sqlite3_column_int64(statement, 0) }
        }
        return result
    }

    private func error(_ code: Int32) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        sqlite3_reset(statement)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
    }
}
