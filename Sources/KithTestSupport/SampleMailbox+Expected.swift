import KithMail

/// The numbers a correct harvest must produce for one contact, computed from the sample's model.
public struct ExpectedContact: Equatable, Sendable, CustomStringConvertible {
    public var email: String
    /// The address as most messages wrote it, when its local part is not lowercase there (ties: lowercase).
    public var spelling: String?
    public var name: String?
    public var sent = 0
    public var received = 0
    public var messages = 0
    public var firstSeen: String?
    public var lastSeen: String?
    public var automated = false

    public init(email: String, spelling: String? = nil, name: String? = nil, sent: Int = 0, received: Int = 0, messages: Int = 0,
                firstSeen: String? = nil, lastSeen: String? = nil, automated: Bool = false) {
        self.email = email
        self.spelling = spelling
        self.name = name
        self.sent = sent
        self.received = received
        self.messages = messages
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.automated = automated
    }

    public var description: String {
        "\(email) spelling=\(spelling ?? "nil") name=\(name ?? "nil") sent=\(sent) received=\(received) messages=\(messages) first=\(firstSeen ?? "-") last=\(lastSeen ?? "-") automated=\(automated)"
    }
}

extension SampleMailbox {
    /// Applies the README's counting rules to the model: harvested folders only, one count per logical message,
    /// owner addresses never contacts.
    public func expectedContacts() -> [String: ExpectedContact] {
        let owners = Set(ownerAddresses)
        var unique: [String: SampleMessage] = [:]
        for message in messages where Self.harvestedFolders.contains(message.folder) {
            unique[message.logicalID] = unique[message.logicalID] ?? message
        }
        var contacts: [String: ExpectedContact] = [:]
        var nameUses: [String: [String: (count: Int, latest: Int64)]] = [:]
        var dates: [String: [Int64]] = [:]
        var spellingUses: [String: [String: Int]] = [:]
        for message in unique.values {
            let when = message.date ?? message.internalDate
            var appearances: [String: Set<String>] = [:]
            var namesInMessage: [String: Set<String>] = [:]
            for (role, list) in [("from", message.from), ("to", message.to), ("cc", message.cc), ("bcc", message.bcc)] {
                for address in list where !owners.contains(address.email) {
                    appearances[address.email, default: []].insert(role)
                    if let name = address.name { namesInMessage[address.email, default: []].insert(name) }
                }
            }
            // A spelling counts once per message and address (the archive keeps one per role; bcc, cc, from, to).
            var spellingInMessage: [String: String] = [:]
            for list in [message.bcc, message.cc, message.from, message.to] {
                for address in list where !owners.contains(address.email) {
                    guard let at = address.written.lastIndex(of: "@"), let domainAt = address.email.lastIndex(of: "@") else { continue }
                    let local = String(address.written[..<at])
                    if local != local.lowercased() {
                        spellingInMessage[address.email] = local + String(address.email[domainAt...])
                    }
                }
            }
            for email in appearances.keys {
                spellingUses[email, default: [:]][spellingInMessage[email] ?? "", default: 0] += 1
            }
            // A name counts once per message and address.
            for (email, names) in namesInMessage {
                for name in names {
                    var entry = nameUses[email, default: [:]][name] ?? (0, Int64.min)
                    entry.count += 1
                    entry.latest = max(entry.latest, when)
                    nameUses[email, default: [:]][name] = entry
                }
            }
            for (email, roles) in appearances {
                var contact = contacts[email] ?? ExpectedContact(email: email)
                contact.messages += 1
                if message.sent && !roles.isDisjoint(with: ["to", "cc", "bcc"]) { contact.sent += 1 }
                if !message.sent && roles.contains("from") {
                    contact.received += 1
                    if message.automated { contact.automated = true }
                }
                if AutomatedSender.hasNoReplyLocalPart(email) { contact.automated = true }
                dates[email, default: []].append(when)
                contacts[email] = contact
            }
        }
        for (email, list) in dates {
            contacts[email]!.firstSeen = list.min().map(MailDate.iso8601)
            contacts[email]!.lastSeen = list.max().map(MailDate.iso8601)
        }
        for (email, uses) in nameUses {
            contacts[email]?.name = uses.max { a, b in
                (a.value.count, a.value.latest, b.key) < (b.value.count, b.value.latest, a.key)
            }?.key
        }
        for (email, uses) in spellingUses {
            let lowercase = uses[""] ?? 0
            if let best = uses.filter({ !$0.key.isEmpty }).min(by: { ($1.value, $0.key) < ($0.value, $1.key) }), best.value > lowercase {
                contacts[email]?.spelling = best.key
            }
        }
        return contacts
    }
}
