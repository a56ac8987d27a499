import GRDB

/// Something that happened to an account and must happen once only (a warning sent, an export made).
public struct AccountEvent: Sendable, Equatable, Hashable {
    public var event: String
    /// The warning threshold in days, or 0 for events without one.
    public var threshold: Int

    public init(event: String, threshold: Int = 0) {
        self.event = event
        self.threshold = threshold
    }
}

extension Archive {
    /// Records `event` unless it was recorded before; true when this call recorded it.
    @discardableResult
    public func recordEvent(_ event: AccountEvent, account: String, at: Int64, detail: String? = nil) throws -> Bool {
        let id = try accountID(named: account)
        return try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO account_event (account_id, event, threshold, at, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, event.event, event.threshold, at, detail])
            return db.changesCount > 0
        }
    }

    /// The events recorded for `account`.
    public func events(account: String) throws -> Set<AccountEvent> {
        try pool.read { db in
            Set(try Row.fetchAll(db, sql: """
                SELECT e.event, e.threshold FROM account_event e JOIN account a ON a.id = e.account_id WHERE a.name = ?
                """, arguments: [account]).map { AccountEvent(event: $0["event"], threshold: $0["threshold"]) })
        }
    }

    /// Marks the account closed: it is no longer contacted; everything archived stays.
    public func markClosed(account: String, at: Int64) throws {
        let id = try accountID(named: account)
        try pool.write { db in
            try db.execute(sql: "UPDATE account SET closed_at = COALESCE(closed_at, ?) WHERE id = ?", arguments: [at, id])
        }
    }

    /// Since when every harvest of `account` has failed, if it is failing.
    public func failingSince(account: String) throws -> Int64? {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT failing_since FROM account WHERE name = ?", arguments: [account])
        }
    }

    /// The number of contacts seen in `account` and the last date of its archived mail.
    public func accountReach(account: String) throws -> (contacts: Int, lastMessage: Int64?) {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(DISTINCT x.address_id) AS contacts, MAX(m.date) AS last FROM message_location l
                JOIN folder f ON f.id = l.folder_id JOIN account a ON a.id = f.account_id
                JOIN message m ON m.id = l.message_id
                LEFT JOIN message_address x ON x.message_id = m.id AND x.role IN ('from', 'to', 'cc', 'bcc')
                WHERE a.name = ?
                """, arguments: [account])
            return (row?["contacts"] ?? 0, row?["last"])
        }
    }
}
