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
            // One pass in message order (message_address's primary key): each message's rows arrive together,
            // so "distinct messages" needs no sort, only a flush per message.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT x.message_id, x.address_id, x.role = 'from', x.name, m.date, m.direction = 'sent', m.automated, x.spelling
                FROM message_address x JOIN message m ON m.id = x.message_id
                WHERE x.role IN ('from', 'to', 'cc', 'bcc') \(accountClause)
                ORDER BY x.message_id
                """, arguments: arguments)
            var tallies: [Int64: AddressTally] = [:]
            var currentMessage: Int64 = -1
            var inMessage: [Int64: (sentTo: Bool, receivedFrom: Bool, automated: Bool, names: [String], spelling: String?)] = [:]
            var messageDate: Int64?
            func flush() {
                for (address, seen) in inMessage {
                    tallies[address, default: AddressTally()].add(sentTo: seen.sentTo, receivedFrom: seen.receivedFrom,
                                                                  automated: seen.automated, names: seen.names, date: messageDate,
                                                                  spelling: seen.spelling)
                }
                inMessage.removeAll(keepingCapacity: true)
            }
            while let row = try rows.next() {
                let message: Int64 = row[0]
                if message != currentMessage {
                    flush()
                    currentMessage = message
                    messageDate = row[4]
                }
                let address: Int64 = row[1]
                let isFrom: Bool = row[2], sent: Bool = row[5], automated: Bool = row[6]
                var seen = inMessage[address] ?? (false, false, false, [], nil)
                if let spelling: String = row[7] { seen.spelling = spelling }
                if sent && !isFrom { seen.sentTo = true }
                if !sent && isFrom {
                    seen.receivedFrom = true
                    if automated { seen.automated = true }
                }
                if let name: String = row[3], !seen.names.contains(name) { seen.names.append(name) }
                inMessage[address] = seen
            }
            flush()
            var emails: [Int64: String] = [:]
            let rules = filter.includeIgnored ? [] : try String.fetchAll(db, sql: "SELECT pattern FROM ignore_rule").compactMap(IgnoreRule.init)
            let addressRows = try Row.fetchCursor(db, sql: "SELECT id, email FROM address")
            while let row = try addressRows.next() {
                let id: Int64 = row[0]
                if tallies[id] != nil {
                    let email: String = row[1]
                    // `kith ignore`: kept in the archive, left out of everything that lists people.
                    if !rules.isEmpty, rules.contains(where: { $0.matches(email) }) { continue }
                    emails[id] = email
                }
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
            for (id, tally) in tallies {
                guard let email = emails[id] else { continue }
                let automated = tally.automated || AutomatedSender.hasNoReplyLocalPart(email)
                if !filter.includeAutomated && automated { continue }
                let name = tally.bestName
                if let needle, !email.contains(needle), !(name?.lowercased().contains(needle) ?? false) { continue }
                result.append(ContactSummary(
                    email: email, spelling: tally.bestSpelling, name: name, accounts: accounts[id] ?? [],
                    sent: tally.sent, received: tally.received, messages: tally.messages,
                    firstSeen: tally.firstSeen.map(MailDate.iso8601), lastSeen: tally.lastSeen.map(MailDate.iso8601),
                    automated: automated))
            }
            result.sort { $0.email < $1.email }
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

/// One address's running numbers while `contacts` reads the archive.
struct AddressTally {
    var sent = 0
    var received = 0
    var messages = 0
    var firstSeen: Int64?
    var lastSeen: Int64?
    var automated = false
    /// Per name: the messages it was used in, and the latest of their dates (0 when none has one).
    var names: [String: (uses: Int, latest: Int64)] = [:]
    /// Messages that spelled the address otherwise than lowercase, per spelling.
    var spellings: [String: Int] = [:]

    mutating func add(sentTo: Bool, receivedFrom: Bool, automated: Bool, names used: [String], date: Int64?, spelling: String? = nil) {
        messages += 1
        if let spelling { spellings[spelling, default: 0] += 1 }
        if sentTo { sent += 1 }
        if receivedFrom { received += 1 }
        if automated { self.automated = true }
        if let date {
            firstSeen = min(firstSeen ?? date, date)
            lastSeen = max(lastSeen ?? date, date)
        }
        for name in used {
            let old = names[name] ?? (0, 0)
            names[name] = (old.uses + 1, max(old.latest, date ?? 0))
        }
    }

    /// The most frequent spelling when it is not the lowercase one (ties: the lowercase one, then alphabetical), or nil.
    var bestSpelling: String? {
        guard let best = spellings.min(by: { ($1.value, $0.key) < ($0.value, $1.key) }),
              best.value > messages - spellings.values.reduce(0, +) else { return nil }
        return best.key
    }

    /// The name used in the most messages; ties go to the most recent, then to the alphabetically first.
    var bestName: String? {
        names.min { a, b in
            if a.value.uses != b.value.uses { return a.value.uses > b.value.uses }
            if a.value.latest != b.value.latest { return a.value.latest > b.value.latest }
            return a.key < b.key
        }?.key
    }
}
