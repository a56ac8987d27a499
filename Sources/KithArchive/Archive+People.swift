import Foundation
import GRDB
import KithMail

extension Archive {
    /// Declares `emails` to be one person, merging any people they already belong to. Returns the person's id.
    @discardableResult
    public func link(_ emails: [String]) throws -> Int64 {
        let emails = Array(Set(emails.map { $0.lowercased() })).sorted()
        guard emails.count >= 2 else { throw ArchiveError(path: path, message: "link needs at least two different addresses") }
        return try pool.write { db in
            var people: Set<Int64> = []
            for email in emails {
                if let id = try Int64.fetchOne(db, sql: "SELECT person_id FROM person_address WHERE email = ?", arguments: [email]) {
                    people.insert(id)
                }
            }
            let person: Int64
            if let existing = people.min() {
                person = existing
            } else {
                try db.execute(sql: "INSERT INTO person (created_at) VALUES (?)", arguments: [Int64(Date().timeIntervalSince1970)])
                person = db.lastInsertedRowID
            }
            for other in people where other != person {
                try db.execute(sql: "UPDATE person_address SET person_id = ? WHERE person_id = ?", arguments: [person, other])
                try db.execute(sql: "DELETE FROM person WHERE id = ?", arguments: [other])
            }
            for email in emails {
                try db.execute(sql: "INSERT OR REPLACE INTO person_address (email, person_id) VALUES (?, ?)", arguments: [email, person])
            }
            return person
        }
    }

    /// Takes `email` out of its person; a person left with one address is dissolved. Returns false when it was not linked.
    @discardableResult
    public func unlink(_ email: String) throws -> Bool {
        try pool.write { db in
            let email = email.lowercased()
            guard let person = try Int64.fetchOne(db, sql: "SELECT person_id FROM person_address WHERE email = ?", arguments: [email]) else {
                return false
            }
            try db.execute(sql: "DELETE FROM person_address WHERE email = ?", arguments: [email])
            let left = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM person_address WHERE person_id = ?", arguments: [person]) ?? 0
            if left < 2 {
                try db.execute(sql: "DELETE FROM person_address WHERE person_id = ?", arguments: [person])
                try db.execute(sql: "DELETE FROM person WHERE id = ?", arguments: [person])
            }
            return true
        }
    }

    /// Every declared person: its addresses, sorted.
    public func links() throws -> [[String]] {
        try pool.read { db in
            var byPerson: [Int64: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT person_id, email FROM person_address ORDER BY email") {
                byPerson[row["person_id"], default: []].append(row["email"])
            }
            return byPerson.keys.sorted().compactMap { byPerson[$0] }
        }
    }

    /// People matching `filter`: linked addresses grouped, every other address a person of its own,
    /// with the numbers of all their messages and the strength of the relationship at `now` (Unix seconds).
    public func people(_ filter: ContactFilter = ContactFilter(), now: Int64) throws -> [PersonSummary] {
        try peopleWithActivity(filter, now: now).map(\.person)
    }

    /// `people`, each with the running numbers it was made from (for rhythms: `fading`).
    func peopleWithActivity(_ filter: ContactFilter, now: Int64) throws -> [(person: PersonSummary, activity: PersonTally)] {
        let (groups, groupOfEmail) = try personGroups(filter)
        let activity = try personActivity(groupOfEmail: groupOfEmail, groups: groups.count, account: filter.account)
        let needle = filter.search?.lowercased()
        var result: [(person: PersonSummary, activity: PersonTally)] = []
        for (index, group) in groups.enumerated() {
            let addresses = group.sorted { ($0.messages, $1.email) > ($1.messages, $0.email) }
            if let needle, !addresses.contains(where: { $0.email.contains(needle) || ($0.name?.lowercased().contains(needle) ?? false) }) {
                continue
            }
            let tally = activity[index]
            let automated = addresses.allSatisfy(\.automated)
            result.append((PersonSummary(
                name: addresses.lazy.compactMap(\.name).first,
                addresses: addresses,
                accounts: Array(Set(addresses.flatMap(\.accounts))).sorted(),
                sent: tally.sent, received: tally.received, messages: tally.messages,
                firstSeen: tally.firstSeen.map(MailDate.iso8601), lastSeen: tally.lastSeen.map(MailDate.iso8601),
                automated: automated,
                strength: automated ? 0 : RelationshipStrength.score(tally.evidence, now: now)), tally))
        }
        return result
    }

    /// Contacts matching `filter` (search aside) grouped into people: linked addresses together, every other address alone.
    func personGroups(_ filter: ContactFilter) throws -> (groups: [[ContactSummary]], groupOfEmail: [String: Int]) {
        var unsearched = filter
        unsearched.search = nil
        let contacts = try self.contacts(unsearched)
        let linked = try links()
        var personOf: [String: Int] = [:]
        for (index, emails) in linked.enumerated() {
            for email in emails { personOf[email] = index }
        }
        // Group: linked addresses by their person, the rest alone, in a stable order.
        var groups: [[ContactSummary]] = []
        var groupOfPerson: [Int: Int] = [:]
        for contact in contacts {
            if let person = personOf[contact.email] {
                if let group = groupOfPerson[person] {
                    groups[group].append(contact)
                    continue
                }
                groupOfPerson[person] = groups.count
            }
            groups.append([contact])
        }
        var groupOfEmail: [String: Int] = [:]
        for (index, group) in groups.enumerated() {
            for contact in group { groupOfEmail[contact.email] = index }
        }
        return (groups, groupOfEmail)
    }

    /// One pass over every counted message, ordered by message, tallying each group (person) once per message.
    private func personActivity(groupOfEmail: [String: Int], groups: Int, account: String?) throws -> [PersonTally] {
        var tallies = [PersonTally](repeating: PersonTally(), count: groups)
        try scanInvolvements(groupOfEmail: groupOfEmail, account: account) { _, group, involvement in
            tallies[group].add(involvement)
        }
        return tallies
    }

    /// Calls `each` once per counted message and person in it (their most direct role), in message order.
    func scanInvolvements(groupOfEmail: [String: Int], account: String?,
                          _ each: (_ message: Int64, _ group: Int, _ involvement: Involvement) -> Void) throws {
        try pool.read { db in
            var accountClause = ""
            var arguments: StatementArguments = []
            if let account {
                accountClause = """
                    AND x.message_id IN (SELECT l.message_id FROM message_location l JOIN folder f ON f.id = l.folder_id
                                         JOIN account acc ON acc.id = f.account_id WHERE acc.name = ?)
                    """
                arguments += [account]
            }
            // Address ids to groups once, so the scan below reads only integers and short strings.
            var groupOfAddress: [Int64: Int] = [:]
            let addresses = try Row.fetchCursor(db, sql: "SELECT id, email FROM address")
            while let row = try addresses.next() {
                if let group = groupOfEmail[row[1] as String] { groupOfAddress[row[0] as Int64] = group }
            }
            // message_address is ordered by message: each message's rows arrive together.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT x.message_id, x.address_id, x.role, m.date, m.direction = 'sent', m.automated
                FROM message_address x JOIN message m ON m.id = x.message_id
                WHERE x.role IN ('from', 'to', 'cc', 'bcc') \(accountClause)
                ORDER BY x.message_id
                """, arguments: arguments)
            var currentMessage: Int64 = -1
            var rowsOfMessage: [(group: Int?, role: String, sent: Bool, automated: Bool, date: Int64?)] = []
            var inMessage: [Int: Involvement] = [:]
            func flush() {
                let recipients = rowsOfMessage.reduce(0) { $0 + ($1.role == "from" ? 0 : 1) }
                for entry in rowsOfMessage {
                    guard let group = entry.group else { continue }
                    let contact = RelationshipStrength.Contact(role: entry.role, sent: entry.sent, automated: entry.automated,
                                                               recipients: recipients, date: entry.date)
                    // A person named twice in one message (two addresses, or two roles) counts once, in their most direct role.
                    inMessage[group, default: Involvement(strongest: contact)].add(contact)
                }
                for (group, involvement) in inMessage { each(currentMessage, group, involvement) }
                inMessage.removeAll(keepingCapacity: true)
                rowsOfMessage.removeAll(keepingCapacity: true)
            }
            while let row = try rows.next() {
                let message: Int64 = row[0]
                if message != currentMessage {
                    flush()
                    currentMessage = message
                }
                rowsOfMessage.append((groupOfAddress[row[1] as Int64], row[2], row[4], row[5], row[3]))
            }
            flush()
        }
    }
}

/// How one person figured in one message, over all their addresses and roles.
struct Involvement {
    var strongest: RelationshipStrength.Contact
    var sentTo = false
    var receivedFrom = false

    mutating func add(_ contact: RelationshipStrength.Contact) {
        if contact.sent && contact.role != "from" { sentTo = true }
        if !contact.sent && contact.role == "from" { receivedFrom = true }
        if contact.weight > strongest.weight { strongest = contact }
    }
}

/// A person's running numbers while the archive is read.
struct PersonTally {
    var sent = 0
    var received = 0
    var messages = 0
    var firstSeen: Int64?
    var lastSeen: Int64?
    var evidence = RelationshipStrength.Evidence()
    /// Dates of the messages that went directly between the owner and the person (either way), in archive order.
    var directDates: [Int64] = []

    mutating func add(_ involvement: Involvement) {
        messages += 1
        if involvement.sentTo || involvement.receivedFrom, !involvement.strongest.automated, let date = involvement.strongest.date {
            directDates.append(date)
        }
        if involvement.sentTo { sent += 1 }
        if involvement.receivedFrom { received += 1 }
        if let date = involvement.strongest.date {
            firstSeen = min(firstSeen ?? date, date)
            lastSeen = max(lastSeen ?? date, date)
        }
        evidence.add(involvement.strongest)
    }
}

/// A person: one or more addresses that are the same human, with numbers over all of them.
public struct PersonSummary: Sendable, Equatable, Codable {
    /// The name of the address with the most messages that has one.
    public var name: String?
    /// The person's addresses with their own numbers, most messages first.
    public var addresses: [ContactSummary]
    public var accounts: [String]
    public var sent: Int
    public var received: Int
    /// Distinct messages naming any of the addresses.
    public var messages: Int
    public var firstSeen: String?
    public var lastSeen: String?
    /// Every address is automated.
    public var automated: Bool
    /// The relationship strength of docs/strength.md.
    public var strength: Double

    /// The address shown first: the one with the most messages.
    public var email: String { addresses.first?.email ?? "" }

    enum CodingKeys: String, CodingKey {
        case name, addresses, accounts, sent, received, messages, automated, strength
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
    }
}

/// Two addresses that are probably one person, and why.
public struct LinkSuggestion: Sendable, Equatable {
    /// The normalized name both addresses use.
    public var name: String
    public var first: ContactSummary
    public var second: ContactSummary
}

extension Archive {
    /// Pairs of addresses at different domains whose full display names match after normalization
    /// (case, accents, punctuation and word order ignored; at least two words; names that are addresses ignored),
    /// not yet one person and not automated. Never merges anything.
    public func suggestLinks() throws -> [LinkSuggestion] {
        let contacts = try self.contacts(ContactFilter(includeAutomated: false))
        var personOf: [String: Int] = [:]
        for (index, emails) in try links().enumerated() {
            for email in emails { personOf[email] = index }
        }
        var byName: [String: [ContactSummary]] = [:]
        for contact in contacts {
            guard let name = contact.name, let key = Self.comparableName(name) else { continue }
            byName[key, default: []].append(contact)
        }
        var suggestions: [LinkSuggestion] = []
        for (key, group) in byName where group.count > 1 {
            let ordered = group.sorted { ($0.firstSeen ?? "", $0.email) < ($1.firstSeen ?? "", $1.email) }
            for (index, first) in ordered.enumerated() {
                for second in ordered[(index + 1)...] where Self.domain(first.email) != Self.domain(second.email) {
                    if let a = personOf[first.email], a == personOf[second.email] { continue }
                    suggestions.append(LinkSuggestion(name: key, first: first, second: second))
                }
            }
        }
        return suggestions.sorted { ($0.name, $0.first.email, $0.second.email) < ($1.name, $1.first.email, $1.second.email) }
    }

    /// Lowercased, accents folded, punctuation dropped, words sorted; nil for one word or an address.
    static func comparableName(_ name: String) -> String? {
        guard !name.contains("@") else { return nil }
        let folded = name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        let words = folded.split { !($0.isLetter || $0.isNumber) }.map(String.init)
        guard words.count >= 2 else { return nil }
        return words.sorted().joined(separator: " ")
    }

    static func domain(_ email: String) -> Substring {
        email.lastIndex(of: "@").map { email[email.index(after: $0)...] } ?? ""
    }
}
