import Foundation
import KithArchive
import KithMail

/// One digest of fading relationships: the people, led by those of accounts closed since the last digest,
/// as plain text, HTML and JSON.
public struct FadingDigest: Sendable {
    /// The strongest fading people of each account closed since the last digest, strongest first.
    public var closedAccounts: [(account: String, people: [FadingPerson])]
    public var people: [FadingPerson]

    /// How many of a closed account's people lead the digest.
    static let leadPerClosedAccount = 3

    /// Reads the fading list at `now`; `alreadyLed` names closed accounts an earlier digest led with.
    public static func make(archive: Archive, limit: Int, now: Int64, alreadyLed: Set<String>) throws -> FadingDigest {
        var closed: [(String, [FadingPerson])] = []
        for summary in try archive.accountSummaries() where summary.closedAt != nil && !alreadyLed.contains(summary.name) {
            closed.append((summary.name, try archive.fading(account: summary.name, now: now, limit: leadPerClosedAccount)))
        }
        return FadingDigest(closedAccounts: closed, people: try archive.fading(now: now, limit: limit))
    }

    public var subject: String {
        people.isEmpty ? "no strong relationship is fading" : "\(people.count) strong relationships are going quiet"
    }

    private static func day(_ iso: String) -> String { String(iso.prefix(10)) }

    private static func who(_ person: FadingPerson) -> String {
        person.name.map { "\($0) <\(person.shown)>" } ?? person.shown
    }

    private static func rhythm(_ person: FadingPerson) -> String {
        "last in touch \(day(person.lastSeen)), usually every \(Int(person.usualGapDays.rounded())) days (\(String(format: "%.1f", person.overdueFactor))x overdue)"
    }

    /// Readable in any mail client and in a log; names from mail are made safe.
    public var text: String {
        var lines: [String] = []
        for (account, people) in closedAccounts where !people.isEmpty {
            lines.append("from \(account): " + people.map { $0.name ?? $0.email }.joined(separator: ", "))
        }
        if !lines.isEmpty { lines.append("") }
        if people.isEmpty {
            lines.append("No strong relationship is fading. Nothing to do.")
        } else {
            lines.append("Strong relationships going quiet, most being lost first:")
            lines.append("")
            for (index, person) in people.enumerated() {
                lines.append("\(index + 1). \(Self.who(person))")
                lines.append("   \(Self.rhythm(person)); strength \(person.strength.past) then, \(person.strength.now) now")
            }
        }
        lines.append("")
        lines.append("kith fading lists them all; kith ignore ADDRESS leaves someone out.")
        return SafeText.lines(lines.joined(separator: "\n"))
    }

    public var html: String {
        func escape(_ text: String) -> String {
            SafeText.line(text).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kith digest</title></head><body style=\"font-family:sans-serif\">\n"
        for (account, people) in closedAccounts where !people.isEmpty {
            body += "<p><strong>from \(escape(account)):</strong> \(people.map { escape($0.name ?? $0.email) }.joined(separator: ", "))</p>\n"
        }
        if people.isEmpty {
            body += "<p>No strong relationship is fading.</p>\n"
        } else {
            body += "<h2>Strong relationships going quiet</h2>\n<table cellpadding=\"4\">\n<tr><th align=\"left\">Who</th><th>Last in touch</th><th>Usual rhythm</th><th>Overdue</th><th>Strength then / now</th></tr>\n"
            for person in people {
                body += "<tr><td>\(escape(person.name ?? person.shown))<br><a href=\"mailto:\(escape(person.shown))\">\(escape(person.shown))</a></td>"
                body += "<td>\(Self.day(person.lastSeen))</td><td>every \(Int(person.usualGapDays.rounded())) days</td>"
                body += "<td>\(String(format: "%.1f", person.overdueFactor))x</td><td>\(person.strength.past) / \(person.strength.now)</td></tr>\n"
            }
            body += "</table>\n"
        }
        return body + "<p><small>kith fading lists them all; kith ignore ADDRESS leaves someone out.</small></p>\n</body></html>\n"
    }

    /// The webhook body and the command's file: `event`, `people`, `closed_accounts`, `message`.
    public var jsonObject: [String: Any] {
        ["event": "digest", "people": people.map(\.jsonObject), "message": text,
         "closed_accounts": closedAccounts.map { ["account": $0.account, "people": $0.people.map(\.jsonObject)] as [String: Any] }]
    }
}
