import KithArchive
import KithMail

/// Turns one fetched header block into what the archive keeps. The harvest and `kith parse-headers` share it.
public struct MessageExtractor: Sendable {
    /// The header fields a harvest fetches, and all that extraction reads.
    public static let headerFields = [
        "FROM", "SENDER", "REPLY-TO", "TO", "CC", "BCC", "DATE", "MESSAGE-ID", "IN-REPLY-TO", "LIST-ID", "PRECEDENCE", "AUTO-SUBMITTED",
    ]

    /// `UID FETCH` items: the UID, the flags (drafts are not correspondence), the arrival date (for mail
    /// without a usable Date:) and the headers, without setting \Seen; with Gmail's extension, its message id.
    public static func fetchItems(gmail: Bool = false) -> String {
        "UID FLAGS INTERNALDATE \(gmail ? "X-GM-MSGID " : "")BODY.PEEK[HEADER.FIELDS (\(headerFields.joined(separator: " ")))]"
    }

    /// Headers longer than this are cut before parsing: a hostile header cannot cost unbounded work.
    public static let maximumHeaderBytes = 1 << 20

    private static let roleFields: [String: Correspondent.Role] = [
        "from": .from, "sender": .sender, "reply-to": .replyTo, "to": .to, "cc": .cc, "bcc": .bcc,
    ]

    /// The owner's addresses, lowercased.
    public let ownerAddresses: Set<String>

    public init(ownerAddresses: some Sequence<String>) {
        self.ownerAddresses = Set(ownerAddresses.map { $0.lowercased() })
    }

    /// Extracts identity, date, direction, automation and correspondents (owner excluded, header order, one per address and role).
    public func extract(headerBytes: [UInt8], uid: UInt32 = 0, internalDate: String? = nil, gmailMessageID: UInt64? = nil) -> ArchivedMessage {
        let headers = HeaderBlock(headerBytes.prefix(Self.maximumHeaderBytes))
        var correspondents: [Correspondent] = []
        var seen: Set<Correspondent> = []
        var fromAddress: String?
        var senderAddress: String?
        for field in headers.fields {
            guard let role = Self.roleFields[field.name] else { continue }
            for address in AddressListParser.parse(field.value) {
                if role == .from, fromAddress == nil { fromAddress = address.email }
                if role == .sender, senderAddress == nil { senderAddress = address.email }
                guard !ownerAddresses.contains(address.email) else { continue }
                let correspondent = Correspondent(email: address.email, name: address.name, role: role, spelling: address.spelling)
                // Most messages name a handful of people: a scan beats hashing them.
                if correspondents.count < 16 {
                    if !correspondents.contains(where: { $0.role == role && $0.email == address.email }) { correspondents.append(correspondent) }
                    continue
                }
                if seen.isEmpty { seen = Set(correspondents.map { Correspondent(email: $0.email, name: nil, role: $0.role) }) }
                if seen.insert(Correspondent(email: address.email, name: nil, role: role)).inserted { correspondents.append(correspondent) }
            }
        }
        let author = fromAddress ?? senderAddress
        let direction: ArchivedMessage.Direction = author.map(ownerAddresses.contains) == true ? .sent : .received
        let date = headers.first("date").flatMap(Self.date)
            ?? internalDate.flatMap(MailDate.parse)
        return ArchivedMessage(identity: Self.identity(headers, internalDate: internalDate, gmailMessageID: gmailMessageID), date: date, direction: direction,
                               automated: AutomatedSender.isAutomated(headers) || author.map(AutomatedSender.hasNoReplyLocalPart) == true,
                               uid: uid, correspondents: correspondents)
    }

    /// The Date: value's time; ASCII (nearly every date) is read as bytes, anything else as decoded text.
    private static func date(_ value: [UInt8]) -> Int64? {
        if value.allSatisfy({ $0 < 0x80 }) { return value.withUnsafeBufferPointer(MailDate.parse(bytes:)) }
        return MailDate.parse(TextDecoding.headerText(value))
    }

    /// The Message-ID without angle brackets; when absent, a digest of the fetched header block, which is
    /// the same for every copy of the message in every folder. Without a Date either, two different messages
    /// (a newsletter sent twice) can have the same header block; then the arrival time, which IMAP COPY and
    /// MOVE keep, goes into the digest too. Gmail's X-GM-MSGID, when given, stands in for the digest.
    static func identity(_ headers: HeaderBlock, internalDate: String?, gmailMessageID: UInt64? = nil) -> String {
        if let value = headers.first("message-id") {
            // Bytes, not Strings: this runs once per message.
            var slice = value[...]
            if let open = slice.firstIndex(of: UInt8(ascii: "<")), let close = slice[open...].firstIndex(of: UInt8(ascii: ">")) {
                slice = slice[(open + 1)..<close]
            }
            while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
            while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
            if !slice.isEmpty { return TextDecoding.headerText(slice) }
        }
        if let gmailMessageID { return "x-gm-msgid:\(gmailMessageID)" }
        var normalised: [UInt8] = []
        for field in headers.fields {
            normalised += Array(field.name.utf8)
            normalised.append(UInt8(ascii: ":"))
            normalised += field.value.filter { $0 != 0x0D && $0 != 0x0A }
            normalised.append(0x0A)
        }
        if headers.first("date") == nil, let internalDate { normalised += Array("internaldate:\(internalDate)\n".utf8) }
        return "sha256:" + Digest.sha256Hex(normalised)
    }
}

import Foundation
