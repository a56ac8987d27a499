import Foundation
import GRDB
import KithMail

/// How many strong relationships one job had in one year.
public struct StrongTies: Sendable, Equatable {
    /// The strength a year's mail of one job must give a relationship for it to count (a close colleague scores 30–60).
    public static let minimumStrength = 20.0

    public var account: String
    public var year: Int
    public var count: Int
}

extension Archive {
    /// For each account (job) and calendar year: the people whose strength from that year's mail of that account alone,
    /// taken at the year's end, reaches `minimumStrength`. Automated and ignored addresses never count.
    /// A message in several accounts' folders counts for the account that archived it first.
    public func strongTiesPerYear(minimumStrength: Double = StrongTies.minimumStrength) throws -> [StrongTies] {
        let (groups, groupOfEmail) = try personGroups(ContactFilter(includeAutomated: false))
        let automated = groups.map { $0.allSatisfy(\.automated) }
        // Message ids are dense from 1: an array of account ids (0: none) costs 4 bytes a message, not a dictionary entry.
        let (accountNames, accountOfMessage) = try pool.read { db -> ([Int64: String], [Int32]) in
            var names: [Int64: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM account") { names[row[0]] = row[1] }
            let largest = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM message") ?? 0
            var owner = [Int32](repeating: 0, count: largest + 1)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT l.message_id, MIN(f.account_id) FROM message_location l JOIN folder f ON f.id = l.folder_id GROUP BY l.message_id
                """)
            while let row = try rows.next() {
                let message: Int64 = row[0], account: Int64 = row[1]
                if message >= 0, message < owner.count { owner[Int(message)] = Int32(truncatingIfNeeded: account) }
            }
            return (names, owner)
        }
        struct Key: Hashable { var group: Int; var account: Int64; var year: Int }
        var evidence: [Key: RelationshipStrength.Evidence] = [:]
        try scanInvolvements(groupOfEmail: groupOfEmail, account: nil) { message, group, involvement in
            guard !automated[group], let date = involvement.strongest.date, message >= 0, message < accountOfMessage.count,
                  accountOfMessage[Int(message)] != 0 else { return }
            let account = Int64(accountOfMessage[Int(message)])
            let year = Int(MailDate.iso8601(date).prefix(4)) ?? 1970
            evidence[Key(group: group, account: account, year: year), default: RelationshipStrength.Evidence()].add(involvement.strongest)
        }
        var counts: [Key: Int] = [:]
        for (key, tally) in evidence {
            let yearEnd = Self.startOfYear(key.year + 1) - 1
            if RelationshipStrength.score(tally, now: yearEnd) >= minimumStrength {
                counts[Key(group: 0, account: key.account, year: key.year), default: 0] += 1
            }
        }
        return counts.map { StrongTies(account: accountNames[$0.key.account] ?? "?", year: $0.key.year, count: $0.value) }
            .sorted { ($0.account, $0.year) < ($1.account, $1.year) }
    }

    private static func startOfYear(_ year: Int) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return Int64(calendar.date(from: DateComponents(year: year, month: 1, day: 1))!.timeIntervalSince1970)
    }
}
