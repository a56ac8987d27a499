import GRDB

extension Archive {
    /// For each account and address: the date of the first message between them (the start of that relationship there).
    public func relationshipStarts() throws -> [(account: String, email: String, firstDate: Int64)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT acc.name AS account, a.email AS email, MIN(m.date) AS first FROM message_address x
                JOIN address a ON a.id = x.address_id JOIN message m ON m.id = x.message_id
                JOIN message_location l ON l.message_id = m.id JOIN folder f ON f.id = l.folder_id JOIN account acc ON acc.id = f.account_id
                WHERE x.role IN ('from', 'to', 'cc', 'bcc') AND m.date IS NOT NULL
                GROUP BY acc.name, a.id
                """).map { (account: $0["account"], email: $0["email"], firstDate: $0["first"]) }
        }
    }

    /// How many archived messages were automated (newsletters, notifications), and how many in all.
    public func automatedShare() throws -> (automated: Int, total: Int) {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT SUM(automated) AS automated, COUNT(*) AS total FROM message")
            return ((row?["automated"] as Int?) ?? 0, (row?["total"] as Int?) ?? 0)
        }
    }

    /// The detail stored with an event (the directory of a final export, say).
    public func eventDetail(account: String, event: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT e.detail FROM account_event e JOIN account a ON a.id = e.account_id WHERE a.name = ? AND e.event = ?
                """, arguments: [account, event])
        }
    }
}
