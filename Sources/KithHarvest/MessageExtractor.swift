import KithArchive
import Synchronization
import KithMail

/// Turns one fetched header block into what the archive keeps. The harvest and `kith parse-headers` share it.
///
/// One extractor serves one harvest or import: it remembers the address lists it has parsed
/// (`AddressListMemo`), since the same From and To values come back message after message.
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
    let memo = AddressListMemo()

    public init(ownerAddresses: some Sequence<String>) {
        self.ownerAddresses = Set(ownerAddresses.map { $0.lowercased() })
    }

    /// Extracts identity, date, direction, automation and correspondents (owner excluded, header order, one per address and role).
    public func extract(headerBytes: [UInt8], uid: UInt32 = 0, internalDate: String? = nil, gmailMessageID: UInt64? = nil) -> ArchivedMessage {
        let headers = HeaderBlock(headerBytes.prefix(Self.maximumHeaderBytes))
        var correspondents: [Correspondent] = []
        var seen: Set<Correspondent> = []
        var fromAddress: MemoizedAddress?
        var senderAddress: MemoizedAddress?
        for field in headers.fields {
            guard let role = Self.roleFields[field.name] else { continue }
            for address in memo.addresses(field.value, owner: ownerAddresses) {
                if role == .from, fromAddress == nil { fromAddress = address }
                if role == .sender, senderAddress == nil { senderAddress = address }
                guard !address.isOwner else { continue }
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
        let direction: ArchivedMessage.Direction = author?.isOwner == true ? .sent : .received
        let date = headers.first("date").flatMap(Self.date)
            ?? internalDate.flatMap(MailDate.parse)
        return ArchivedMessage(identity: Self.identity(headers, internalDate: internalDate, gmailMessageID: gmailMessageID), date: date, direction: direction,
                               automated: AutomatedSender.isAutomated(headers) || author.map { AutomatedSender.hasNoReplyLocalPart($0.email) } == true,
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

/// One parsed address with what extraction asks of it every time it appears.
struct MemoizedAddress: Sendable {
    var email: String
    var name: String?
    var spelling: String?
    /// One of the owner's addresses.
    var isOwner: Bool
}

/// The address lists one extractor has parsed, keyed by the field's bytes: From and To values repeat from
/// message to message (three in four From values of the benchmark mailbox were seen before), so a repeated
/// value costs a hash and a lookup instead of tokenizing and decoding. Bounded: values over 1 KiB are not
/// kept, and at most `capacity` values are, in two generations: when the newer one is full it becomes the
/// older one, and a value found only in the older one moves to the newer, so values in use stay.
final class AddressListMemo: Sendable {
    static let capacity = 8_192
    static let maximumValueBytes = 1_024
    private let generations = Mutex(Generations())

    private struct Generations {
        var newer = [FieldValue: [MemoizedAddress]](minimumCapacity: AddressListMemo.capacity / 2)
        var older: [FieldValue: [MemoizedAddress]] = [:]
    }

    var newer: [FieldValue: [MemoizedAddress]] { generations.withLock { $0.newer } }
    var older: [FieldValue: [MemoizedAddress]] { generations.withLock { $0.older } }
    var count: Int { generations.withLock { $0.newer.count + $0.older.count } }

    /// A field value as a dictionary key, hashed as one run of bytes rather than byte by byte.
    struct FieldValue: Hashable, Sendable {
        let bytes: [UInt8]
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }

    func addresses(_ value: [UInt8], owner: Set<String>) -> [MemoizedAddress] {
        guard value.count <= Self.maximumValueBytes else { return Self.parse(value, owner: owner) }
        let key = FieldValue(bytes: value)
        return generations.withLock { memo in
            if let known = memo.newer[key] { return known }
            let addresses = memo.older[key] ?? Self.parse(value, owner: owner)
            if memo.newer.count >= Self.capacity / 2 {
                memo.older = memo.newer
                memo.newer = [FieldValue: [MemoizedAddress]](minimumCapacity: Self.capacity / 2)
            }
            memo.newer[key] = addresses
            return addresses
        }
    }

    private static func parse(_ value: [UInt8], owner: Set<String>) -> [MemoizedAddress] {
        AddressListParser.parse(value).map {
            MemoizedAddress(email: $0.email, name: $0.name, spelling: $0.spelling, isOwner: owner.contains($0.email))
        }
    }
}
