import GRDB

extension Archive {
    /// Secondary indexes a first harvest builds once at its end instead of row by row: random inserts
    /// into them are the largest part of a first harvest's SQLite work.
    static let deferredIndexes = [
        "CREATE INDEX IF NOT EXISTS message_location_by_message ON message_location(message_id)",
        "CREATE INDEX IF NOT EXISTS message_address_by_address ON message_address(address_id)",
    ]

    /// When the archive holds no message yet, drops the deferred indexes and returns true; call
    /// `endBulkLoad()` when the harvest ends. Queries stay correct meanwhile, only slower.
    @discardableResult
    public func beginBulkLoad() throws -> Bool {
        try pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message") == 0 else { return false }
            try db.execute(sql: "DROP INDEX IF EXISTS message_location_by_message")
            try db.execute(sql: "DROP INDEX IF EXISTS message_address_by_address")
            return true
        }
    }

    /// Builds the deferred indexes (each a sort of the finished table). Opening an archive does the same,
    /// so a harvest killed before its end leaves nothing missing for long.
    public func endBulkLoad() throws {
        try pool.write { db in
            for sql in Self.deferredIndexes { try db.execute(sql: sql) }
        }
    }

    /// Whether every deferred index exists.
    public func hasAllIndexes() throws -> Bool {
        try pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'
                AND name IN ('message_location_by_message', 'message_address_by_address')
                """) == 2
        }
    }
}
