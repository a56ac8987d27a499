import GRDB
import KithMail

/// Everything the archive knows about one address, for `kith show`.
public struct ContactDetail: Sendable {
    public var summary: ContactSummary
    /// Every display name used, with the number of messages that used it, most used first.
    public var names: [(name: String, messages: Int)]
    /// Messages per account.
    public var perAccount: [(account: String, messages: Int)]
    /// Messages per year, oldest first.
    public var perYear: [(year: Int, messages: Int)]
    /// The dates of the most recent messages, newest first (no content is stored).
    public var recentDates: [String]
}

extension Archive {
    /// The addresses whose email or any used name contains `text` (case-insensitive), most messages first.
    public func findAddresses(_ text: String) throws -> [String] {
        let needle = "%\(text.lowercased())%"
        return try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT a.email FROM address a JOIN message_address x ON x.address_id = a.id
                WHERE x.role IN ('from', 'to', 'cc', 'bcc') AND (a.email LIKE ? OR LOWER(COALESCE(x.name, '')) LIKE ?)
                GROUP BY a.id ORDER BY COUNT(DISTINCT x.message_id) DESC, a.email
                """, arguments: [needle, needle])
        }
    }

    /// The detail of `email`, or nil when the archive never saw it.
    public func contactDetail(email: String) throws -> ContactDetail? {
        guard let summary = try contacts(ContactFilter(search: nil)).first(where: { $0.email == email }) else { return nil }
        return try pool.read { db in
            let counted = """
                SELECT x.message_id, x.name, m.date FROM message_address x JOIN address a ON a.id = x.address_id
                JOIN message m ON m.id = x.message_id WHERE a.email = ? AND x.role IN ('from', 'to', 'cc', 'bcc')
                """
            let names = try Row.fetchAll(db, sql: "SELECT name, COUNT(DISTINCT message_id) AS n FROM (\(counted)) WHERE name IS NOT NULL GROUP BY name ORDER BY n DESC, name",
                                         arguments: [email]).map { (name: $0["name"] as String, messages: $0["n"] as Int) }
            let perAccount = try Row.fetchAll(db, sql: """
                SELECT acc.name AS account, COUNT(DISTINCT c.message_id) AS n FROM (\(counted)) c
                JOIN message_location l ON l.message_id = c.message_id JOIN folder f ON f.id = l.folder_id
                JOIN account acc ON acc.id = f.account_id GROUP BY acc.name ORDER BY acc.name
                """, arguments: [email]).map { (account: $0["account"] as String, messages: $0["n"] as Int) }
            let dates = try Int64.fetchAll(db, sql: """
                SELECT date FROM (SELECT DISTINCT message_id, date FROM (\(counted)) WHERE date IS NOT NULL) ORDER BY date DESC
                """, arguments: [email])
            var years: [Int: Int] = [:]
            for date in dates { years[Int(MailDate.iso8601(date).prefix(4)) ?? 0, default: 0] += 1 }
            return ContactDetail(summary: summary, names: names, perAccount: perAccount,
                                 perYear: years.sorted { $0.key < $1.key }.map { (year: $0.key, messages: $0.value) },
                                 recentDates: dates.prefix(10).map(MailDate.iso8601))
        }
    }
}
