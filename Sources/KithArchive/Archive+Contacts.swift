import GRDB
import KithMail

extension Archive {
    /// Every contact matching `filter`, with its numbers, sorted by address.
    ///
    /// Only From, To, Cc and Bcc count; Sender and Reply-To are archived but make nobody a contact.
    public func contacts(_ filter: ContactFilter = ContactFilter()) throws -> [ContactSummary] {
        try pool.read { db in
            var accountClause = ""
            var arguments: StatementArguments = []
            if let account = filter.account {
                // Restrict to messages located in that account's folders.
                accountClause = """
                    AND x.message_id IN (SELECT l.message_id FROM message_location l JOIN folder f ON f.id = l.folder_id
                                         JOIN account acc ON acc.id = f.account_id WHERE acc.name = ?)
                    """
                arguments += [account]
            }
            let counted = """
                SELECT x.address_id, x.message_id, x.role, x.name, m.date, m.direction, m.automated
                FROM message_address x JOIN message m ON m.id = x.message_id
                WHERE x.role IN ('from', 'to', 'cc', 'bcc') \(accountClause)
                """
            let rows = try Row.fetchAll(db, sql: """
                WITH c AS (\(counted))
                SELECT a.id, a.email,
                  COUNT(DISTINCT CASE WHEN c.direction = 'sent' AND c.role IN ('to', 'cc', 'bcc') THEN c.message_id END) AS sent,
                  COUNT(DISTINCT CASE WHEN c.direction = 'received' AND c.role = 'from' THEN c.message_id END) AS received,
                  COUNT(DISTINCT c.message_id) AS messages,
                  MIN(c.date) AS first_seen, MAX(c.date) AS last_seen,
                  MAX(CASE WHEN c.direction = 'received' AND c.role = 'from' AND c.automated THEN 1 ELSE 0 END) AS automated
                FROM c JOIN address a ON a.id = c.address_id
                GROUP BY a.id
                ORDER BY a.email
                """, arguments: arguments)

            var names: [Int64: (name: String, count: Int, latest: Int64)] = [:]
            let nameRows = try Row.fetchAll(db, sql: """
                WITH c AS (\(counted))
                SELECT address_id, name, COUNT(DISTINCT message_id) AS uses, MAX(COALESCE(date, 0)) AS latest
                FROM c WHERE name IS NOT NULL GROUP BY address_id, name
                """, arguments: arguments)
            for row in nameRows {
                let id: Int64 = row["address_id"], name: String = row["name"], uses: Int = row["uses"], latest: Int64 = row["latest"]
                if let best = names[id], best.count > uses || (best.count == uses && best.latest > latest)
                    || (best.count == uses && best.latest == latest && best.name < name) { continue }
                names[id] = (name, uses, latest)
            }

            var accounts: [Int64: [String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT DISTINCT x.address_id, acc.name FROM message_address x
                JOIN message_location l ON l.message_id = x.message_id
                JOIN folder f ON f.id = l.folder_id JOIN account acc ON acc.id = f.account_id
                WHERE x.role IN ('from', 'to', 'cc', 'bcc') ORDER BY acc.name
                """) {
                accounts[row["address_id"], default: []].append(row["name"])
            }

            let needle = filter.search?.lowercased()
            var result: [ContactSummary] = []
            for row in rows {
                let id: Int64 = row["id"]
                let email: String = row["email"]
                let automated = (row["automated"] as Int64) != 0 || AutomatedSender.hasNoReplyLocalPart(email)
                if !filter.includeAutomated && automated { continue }
                let name = names[id]?.name
                if let needle, !email.contains(needle), !(name?.lowercased().contains(needle) ?? false) { continue }
                result.append(ContactSummary(
                    email: email, name: name, accounts: accounts[id] ?? [],
                    sent: row["sent"], received: row["received"], messages: row["messages"],
                    firstSeen: (row["first_seen"] as Int64?).map(MailDate.iso8601),
                    lastSeen: (row["last_seen"] as Int64?).map(MailDate.iso8601),
                    automated: automated))
            }
            return result
        }
    }

    /// Per-account figures for `status`.
    public func accountSummaries() throws -> [AccountSummary] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT acc.name, acc.last_attempt_at, acc.last_success_at, acc.last_error, acc.failing_since, acc.closed_at,
                  (SELECT COUNT(DISTINCT l.message_id) FROM message_location l JOIN folder f ON f.id = l.folder_id WHERE f.account_id = acc.id) AS messages,
                  (SELECT COUNT(*) FROM folder f WHERE f.account_id = acc.id) AS folders
                FROM account acc ORDER BY acc.name
                """).map { row in
                AccountSummary(name: row["name"], lastAttemptAt: row["last_attempt_at"], lastSuccessAt: row["last_success_at"],
                               lastError: row["last_error"], failingSince: row["failing_since"], closedAt: row["closed_at"],
                               messages: row["messages"], folders: row["folders"])
            }
        }
    }

    /// The number of distinct messages archived.
    public func messageCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message") ?? 0 }
    }
}

/// An account as `status` shows it.
public struct AccountSummary: Sendable, Equatable {
    public var name: String
    public var lastAttemptAt: Int64?
    public var lastSuccessAt: Int64?
    public var lastError: String?
    public var failingSince: Int64?
    public var closedAt: Int64?
    public var messages: Int
    public var folders: Int
}
