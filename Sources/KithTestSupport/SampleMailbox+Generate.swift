import Foundation
import KithMail

extension SampleMailbox {
    public static let defaultOwnerAddresses = ["me@acme.example", "firstname.lastname@acme.example"]

    private static let firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis",
                                     "Radia", "Leslie", "Sophie", "John", "Hedy", "Tim", "Katherine", "Linus", "Shafi", "Niklaus"]
    private static let lastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton",
                                    "Ritchie", "Perlman", "Lamport", "Wilson", "McCarthy", "Lamarr", "Berners-Lee", "Johnson",
                                    "Torvalds", "Goldwasser", "Wirth"]
    /// Names that need RFC 2047 in headers: (decoded, encoded form).
    private static let encodedNames: [(String, String)] = [
        ("André Müller", "=?UTF-8?Q?Andr=C3=A9_M=C3=BCller?="),
        ("José Núñez", "=?ISO-8859-1?Q?Jos=E9_N=FA=F1ez?="),
        ("Zoë Ångström", "=?utf-8?B?Wm/DqyDDhW5nc3Ryw7Zt?="),
        ("Łukasz Żółw", "=?UTF-8?Q?=C5=81ukasz?= =?UTF-8?Q?_=C5=BB=C3=B3=C5=82w?="),
        ("Ōtsuka Hanako", "=?utf-8?q?=C5=8Ctsuka_Hanako?="),
    ]
    private static let domains = ["acme.example", "client-one.example", "partner.example", "university.example", "vendor.example"]
    private static let zones: [(String, Int64)] = [("+0000", 0), ("-0700", -25_200), ("+0530", 19_800), ("+0100", 3_600), ("-0500", -18_000)]

    /// Generates `count` messages from `seed`; `firstIndex` lets a second call add new, distinct mail.
    /// `years` bounds the Date headers (the job's time at the company).
    public static func generate(count: Int, seed: UInt64 = 7, firstIndex: Int = 0, ownerAddresses: [String] = defaultOwnerAddresses,
                                years: ClosedRange<Int> = 2019...2024, peopleOffset: Int = 0) -> SampleMailbox {
        var random = SeededGenerator(seed: seed &+ UInt64(firstIndex))
        let peopleCount = max(12, min(5000, count / 10 + 8))
        let people = (peopleOffset..<peopleOffset + peopleCount).map { person($0, random: &random) }
        let owner = SampleMessage.Address(email: ownerAddresses[0], written: ownerAddresses[0].capitalized, name: "Me Myself", writtenName: "Me Myself")
        // The alias spelled in mixed case, as mail clients do: matching must ignore case.
        let aliasParts = ownerAddresses[1].split(separator: "@")
        let ownerAlias = SampleMessage.Address(email: ownerAddresses[1], written: aliasParts[0].capitalized + "@" + aliasParts[1].uppercased(),
                                               name: nil, writtenName: nil)
        var messages: [SampleMessage] = []
        var copyable: [SampleMessage] = []
        for offset in 0..<count {
            let index = firstIndex + offset
            let roll = Int.random(in: 0..<100, using: &random)
            let (date, dateHeader) = randomDate(&random, years: years)
            var message = SampleMessage(
                folder: "INBOX", logicalID: "m\(index)", messageID: "m\(index).\(seed)@mail.example",
                date: date, dateHeader: dateHeader, internalDate: date + 60,
                from: [], to: [], cc: [], bcc: [], automated: false, sent: false, seen: Bool.random(using: &random))
            func pick() -> SampleMessage.Address { people[Int.random(in: 0..<people.count, using: &random)] }
            switch roll {
            case 0..<38, 38..<43:
                message.folder = roll < 38 ? "INBOX" : "Projects/Kith"
                message.from = [pick()]
                message.to = [Bool.random(using: &random) ? owner : ownerAlias] + (0..<Int.random(in: 0...2, using: &random)).map { _ in pick() }
                message.cc = (0..<Int.random(in: 0...2, using: &random)).map { _ in pick() }
                if roll % 9 == 0 { message.replyTo = [pick()] }
            case 43..<68:
                message.folder = "Sent"
                message.sent = true
                message.seen = true
                message.from = [roll % 2 == 0 ? owner : ownerAlias]
                message.to = (0..<Int.random(in: 1...3, using: &random)).map { _ in pick() }
                message.cc = (0..<Int.random(in: 0...2, using: &random)).map { _ in pick() }
                if roll % 7 == 0 { message.bcc = [pick()] }
            case 68..<78:
                let newsletter = index % 3
                message.from = [SampleMessage.Address(email: "news\(newsletter)@newsletter.example", written: "news\(newsletter)@Newsletter.example",
                                                      name: "Weekly Digest \(newsletter)", writtenName: "\"Weekly Digest \(newsletter)\"")]
                message.to = [owner]
                message.extraHeaders = newsletter == 0 ? ["List-Id: Weekly <weekly.newsletter.example>"] : ["Precedence: bulk"]
                message.automated = true
            case 78..<83:
                message.from = [SampleMessage.Address(email: "noreply@service.example", written: "noreply@service.example", name: "Service", writtenName: "Service")]
                message.to = [owner]
                message.extraHeaders = ["Auto-Submitted: auto-generated"]
                message.automated = true
            case 83..<94 where !copyable.isEmpty:
                // A copy of an earlier message in Archive: same headers, so the same identity.
                var copy = copyable[Int.random(in: 0..<copyable.count, using: &random)]
                copy.folder = "Archive"
                messages.append(copy)
                continue
            case 94..<97:
                message.folder = "Junk"
                message.from = [SampleMessage.Address(email: "spammer\(index)@junk.example", written: "spammer\(index)@junk.example", name: "Prince", writtenName: "Prince")]
                message.to = [owner]
            case 97..<98:
                message.folder = "Trash"
                message.from = [SampleMessage.Address(email: "trashed\(index)@trash.example", written: "trashed\(index)@trash.example", name: nil, writtenName: nil)]
                message.to = [owner]
            default:
                message.folder = "Drafts"
                message.sent = true
                message.from = [owner]
                message.to = [SampleMessage.Address(email: "draft\(index)@drafts.example", written: "draft\(index)@drafts.example", name: nil, writtenName: nil)]
            }
            if index % 29 == 5 { message.messageID = nil }
            if index % 31 == 7 {
                message.date = nil
                message.dateHeader = nil
            }
            messages.append(message)
            if message.folder == "INBOX" || message.folder == "Sent" { copyable.append(message) }
        }
        return SampleMailbox(ownerAddresses: ownerAddresses, messages: messages)
    }

    private static func person(_ index: Int, random: inout SeededGenerator) -> SampleMessage.Address {
        let domain = domains[index % domains.count]
        if index % 11 == 3 {
            let (name, encoded) = encodedNames[(index / 11) % encodedNames.count]
            return SampleMessage.Address(email: "intl\(index)@\(domain)", written: "intl\(index)@\(domain)", name: name, writtenName: encoded)
        }
        let first = firstNames[index % firstNames.count]
        let last = lastNames[(index / firstNames.count + index) % lastNames.count]
        let email = "\(first).\(last)\(index)@\(domain)".lowercased()
        switch index % 7 {
        case 0: return SampleMessage.Address(email: email, written: email, name: nil, writtenName: nil)
        case 1: return SampleMessage.Address(email: email, written: "\(first).\(last)\(index)@\(domain.uppercased())", name: "\(first) \(last)", writtenName: "\(first) \(last)")
        case 2: return SampleMessage.Address(email: email, written: email, name: "\(last), \(first)", writtenName: "\"\(last), \(first)\"")
        default: return SampleMessage.Address(email: email, written: email, name: "\(first) \(last)", writtenName: "\"\(first) \(last)\"")
        }
    }

    private static func randomDate(_ random: inout SeededGenerator, years: ClosedRange<Int>) -> (Int64, String) {
        let from = Int64(MailDate.daysFromCivil(year: years.lowerBound, month: 1, day: 1)) * 86_400
        let to = Int64(MailDate.daysFromCivil(year: years.upperBound + 1, month: 1, day: 1)) * 86_400
        let utc = Int64.random(in: from..<to, using: &random)
        let (zone, offset) = zones[Int.random(in: 0..<zones.count, using: &random)]
        let local = utc + offset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let seconds = Int(local - days * 86_400)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(((days % 7) + 7) % 7)]
        let iso = MailDate.iso8601(days * 86_400)  // YYYY-MM-DD of the local day
        let parts = iso.prefix(10).split(separator: "-").map { Int($0)! }
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][parts[1] - 1]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let header = "\(weekday), \(parts[2]) \(month) \(parts[0]) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)) \(zone)"
        return (utc, header)
    }
}
