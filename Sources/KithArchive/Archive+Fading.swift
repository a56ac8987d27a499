import Foundation
import KithMail

/// The rule of `kith fading`; docs/strength.md works through it with numbers.
public enum FadingRule {
    /// Distinct days of direct mail (owner to person or person to owner) below which a contact is a one-off.
    public static let minimumDirectDays = 4
    /// The strength the relationship had at its last direct message.
    public static let minimumPastStrength = 10.0
    /// Quiet for more than this many usual gaps...
    public static let overdueMultiple = 3.0
    /// ...and for more than this many days.
    public static let minimumQuietDays = 60.0

    /// The rhythm of a relationship: the median gap in days between consecutive days of direct mail (at least 1).
    public static func usualGapDays(_ dates: [Int64]) -> Double? {
        let days = distinctDays(dates)
        guard days.count >= 2 else { return nil }
        let gaps = zip(days.dropFirst(), days).map { Double($0 - $1) }.sorted()
        let middle = gaps.count / 2
        let median = gaps.count % 2 == 1 ? gaps[middle] : (gaps[middle - 1] + gaps[middle]) / 2
        return max(1, median)
    }

    /// The distinct UTC days of `dates`, in order.
    static func distinctDays(_ dates: [Int64]) -> [Int64] {
        Set(dates.map { $0 >= 0 ? $0 / 86_400 : ($0 - 86_399) / 86_400 }).sorted()
    }

    /// What is being lost: the past strength times log2 of how overdue the next message is.
    /// The logarithm keeps a daily correspondent quiet for a year from outranking a stronger monthly one.
    public static func loss(pastStrength: Double, overdueFactor: Double) -> Double {
        pastStrength * log2(max(1, overdueFactor))
    }
}

/// A strong relationship gone quiet for much longer than its usual rhythm.
public struct FadingPerson: Sendable, Equatable, Codable {
    public struct Strength: Sendable, Equatable, Codable {
        /// At the last direct message.
        public var past: Double
        /// Today.
        public var now: Double
    }

    public var email: String
    /// How most messages wrote `email`, when not all lowercase.
    public var spelling: String?
    public var name: String?
    public var addresses: [String]
    public var strength: Strength
    /// The last direct message, `YYYY-MM-DDTHH:MM:SSZ`.
    public var lastSeen: String
    public var usualGapDays: Double
    public var quietDays: Int
    /// Days quiet divided by the usual gap.
    public var overdueFactor: Double
    public var accounts: [String]

    enum CodingKeys: String, CodingKey {
        case email, spelling, name, addresses, strength, accounts
        case lastSeen = "last_seen"
        case usualGapDays = "usual_gap_days"
        case quietDays = "quiet_days"
        case overdueFactor = "overdue_factor"
    }
}

extension FadingPerson {
    /// The address to show: its spelling, else the identity.
    public var shown: String { spelling ?? email }

    /// The keys of `kith fading --json`, the digest's webhook and its command file (name null when unknown).
    public var jsonObject: [String: Any] {
        ["email": email, "spelling": spelling ?? NSNull(), "name": name ?? NSNull(), "addresses": addresses, "strength": ["past": strength.past, "now": strength.now],
         "last_seen": lastSeen, "usual_gap_days": usualGapDays, "quiet_days": quietDays, "overdue_factor": overdueFactor, "accounts": accounts]
    }
}

extension Archive {
    /// People whose strong relationship has gone quiet (FadingRule), most being lost first.
    /// Automated senders, one-offs, mere co-recipients and ignored addresses never appear.
    public func fading(account: String? = nil, now: Int64, limit: Int? = nil) throws -> [FadingPerson] {
        var ranked: [(loss: Double, person: FadingPerson)] = []
        for (person, activity) in try peopleWithActivity(ContactFilter(account: account, includeAutomated: false), now: now) {
            guard !person.automated, let last = activity.directDates.max(),
                  FadingRule.distinctDays(activity.directDates).count >= FadingRule.minimumDirectDays,
                  let gap = FadingRule.usualGapDays(activity.directDates) else { continue }
            let quiet = Double(now - last) / 86_400
            guard quiet > FadingRule.minimumQuietDays, quiet > FadingRule.overdueMultiple * gap else { continue }
            let past = RelationshipStrength.score(activity.evidence, now: last)
            guard past >= FadingRule.minimumPastStrength else { continue }
            let overdue = (quiet / gap * 10).rounded() / 10
            ranked.append((FadingRule.loss(pastStrength: past, overdueFactor: quiet / gap), FadingPerson(
                email: person.email, spelling: person.addresses.first?.spelling, name: person.name, addresses: person.addresses.map(\.email),
                strength: .init(past: past, now: person.strength), lastSeen: MailDate.iso8601(last),
                usualGapDays: (gap * 10).rounded() / 10, quietDays: Int(quiet), overdueFactor: overdue, accounts: person.accounts)))
        }
        ranked.sort { ($0.loss, $1.person.email) > ($1.loss, $0.person.email) }
        let people = ranked.map(\.person)
        return limit.map { Array(people.prefix(max(0, $0))) } ?? people
    }
}
