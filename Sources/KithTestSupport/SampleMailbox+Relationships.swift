import Foundation

/// A mailbox of relationships in known states at `now`, for `kith fading`, the digest and CardDAV.
public enum RelationshipMailbox {
    /// The day the states hold on (tests pass it as KITH_NOW): 2026-06-01T12:00:00Z.
    public static let now: Int64 = 1_780_315_200
    public static let nowText = "2026-06-01T12:00:00Z"
    public static let owner = "me@acme.example"

    /// Who is in it and what `fading` must say about them.
    public struct Person: Sendable {
        public var email: String
        public var name: String
        /// Messages with the owner, alternating direction starting with the person, one every `gapDays`.
        public var exchanges: Int
        public var gapDays: Int
        /// Days before `now` of the last of them.
        public var lastDaysAgo: Int
        public var fading: Bool

        public init(email: String, name: String, exchanges: Int, gapDays: Int, lastDaysAgo: Int, fading: Bool) {
            self.email = email
            self.name = name
            self.exchanges = exchanges
            self.gapDays = gapDays
            self.lastDaysAgo = lastDaysAgo
            self.fading = fading
        }
    }

    /// In the order `fading` must list the fading ones: most being lost first.
    public static let people: [Person] = [
        Person(email: "grace@navy.example", name: "Grace Hopper", exchanges: 40, gapDays: 7, lastDaysAgo: 200, fading: true),
        Person(email: "alan@bletchley.example", name: "Alan Turing", exchanges: 6, gapDays: 30, lastDaysAgo: 150, fading: true),
        Person(email: "ada@engines.example", name: "Ada Lovelace", exchanges: 40, gapDays: 7, lastDaysAgo: 3, fading: false),
        Person(email: "quarterly@board.example", name: "Quarterly Reviewer", exchanges: 8, gapDays: 90, lastDaysAgo: 120, fading: false),
        Person(email: "once@example.org", name: "Once Only", exchanges: 2, gapDays: 1, lastDaysAgo: 300, fading: false),
    ]
    public static let newsletter = "news@letters.example"
    public static let crowd = (1...30).map { String(format: "crowd%02d@acme.example", $0) }
    public static let chief = "ceo@acme.example"

    /// A colleague from a job whose account is closed: mail kept as an mbox, imported into `oldjob`.
    public static let formerColleague = Person(email: "linus@oldjob.example", name: "Linus Torvalds", exchanges: 20, gapDays: 14,
                                               lastDaysAgo: 400, fading: true)
    public static let formerOwner = "me@oldjob.example"

    /// Exchanges with `people`, and with `extras` the newsletter and the all-hands crowd.
    public static func mailbox(people: [Person] = people, owner: String = owner, extras: Bool = true) -> SampleMailbox {
        var messages: [SampleMessage] = []
        let me = SampleMessage.Address(email: owner, written: owner, name: "Me Myself", writtenName: "Me Myself")
        func message(_ id: String, date: Int64, from: SampleMessage.Address, to: [SampleMessage.Address], sent: Bool,
                     extra: [String] = [], automated: Bool = false) -> SampleMessage {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss '+0000'"
            return SampleMessage(folder: sent ? "Sent" : "INBOX", logicalID: id, messageID: "\(id)@relationships.example", date: date,
                                 dateHeader: formatter.string(from: Date(timeIntervalSince1970: TimeInterval(date))), internalDate: date,
                                 from: [from], to: to, cc: [], bcc: [], extraHeaders: extra, automated: automated, sent: sent, seen: true)
        }
        for person in people {
            let them = SampleMessage.Address(email: person.email, written: person.email, name: person.name, writtenName: person.name)
            for index in 0..<person.exchanges {
                let daysAgo = person.lastDaysAgo + (person.exchanges - 1 - index) * person.gapDays
                let date = now - Int64(daysAgo) * 86_400
                let fromThem = index % 2 == 0
                messages.append(message("\(person.email)-\(index)", date: date, from: fromThem ? them : me, to: [fromThem ? me : them], sent: !fromThem))
            }
        }
        guard extras else { return SampleMailbox(ownerAddresses: [owner], messages: messages) }
        let news = SampleMessage.Address(email: newsletter, written: newsletter, name: "Weekly Letter", writtenName: "Weekly Letter")
        for index in 0..<50 {
            messages.append(message("news-\(index)", date: now - Int64(200 + 7 * index) * 86_400, from: news, to: [me], sent: false,
                                    extra: ["List-Id: <weekly.letters.example>", "Precedence: list"], automated: true))
        }
        let chiefAddress = SampleMessage.Address(email: chief, written: chief, name: "The Chief", writtenName: "The Chief")
        let everyone = [me] + crowd.map { SampleMessage.Address(email: $0, written: $0, name: nil, writtenName: nil) }
        for index in 0..<20 {
            messages.append(message("allhands-\(index)", date: now - Int64(200 + 14 * index) * 86_400, from: chiefAddress, to: everyone, sent: false))
        }
        return SampleMailbox(ownerAddresses: [owner], messages: messages)
    }
}
