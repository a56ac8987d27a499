/// One server response (RFC 9051 section 7): tagged completion, untagged data, or a continuation request.
public enum Response: Equatable, Sendable {
    case tagged(tag: String, status: StatusResponse)
    case untagged(UntaggedResponse)
    case continuation(text: String)
}

/// The outcome word of a status response (RFC 9051 section 7.1).
public enum StatusKind: String, Equatable, Sendable {
    case ok = "OK", no = "NO", bad = "BAD", bye = "BYE", preauth = "PREAUTH"
}

/// A status response with its optional response code and human-readable text (RFC 9051 section 7.1).
public struct StatusResponse: Equatable, Sendable {
    public var kind: StatusKind
    public var code: ResponseCode?
    public var text: String

    public init(kind: StatusKind, code: ResponseCode? = nil, text: String) {
        self.kind = kind
        self.code = code
        self.text = text
    }
}

extension StatusResponse {
    /// `NO [SERVERBUG] Internal error` as the server said it, for messages to people.
    public var summary: String {
        var text = kind.rawValue
        if let code { text += " [\(code.text)]" }
        return text + (self.text.isEmpty ? "" : " \(self.text)")
    }
}

/// A bracketed response code (RFC 9051 section 7.1); codes kith does not act on stay as `.other`.
public enum ResponseCode: Equatable, Sendable {
    case uidValidity(UInt32)
    case uidNext(UInt32)
    case readOnly
    case readWrite
    case capability([String])
    case other(name: String, arguments: String?)

    /// The code as written inside the brackets.
    public var text: String {
        switch self {
        case .uidValidity(let value): "UIDVALIDITY \(value)"
        case .uidNext(let value): "UIDNEXT \(value)"
        case .readOnly: "READ-ONLY"
        case .readWrite: "READ-WRITE"
        case .capability(let list): (["CAPABILITY"] + list).joined(separator: " ")
        case .other(let name, let arguments): arguments.map { "\(name) \($0)" } ?? name
        }
    }
}

/// Untagged server data (RFC 9051 section 7.2-7.5) that kith reads; anything else is kept as `.other`.
public enum UntaggedResponse: Equatable, Sendable {
    case status(StatusResponse)
    case capability([String])
    case list(ListEntry)
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    case fetch(sequence: UInt32, FetchAttributes)
    case flags([String])
    /// `* STATUS mailbox (UIDNEXT n UIDVALIDITY n MESSAGES n)` (RFC 9051 section 7.2.4).
    case mailboxStatus(MailboxStatusData)
    /// A response kith does not interpret, such as `SEARCH` or `ENABLED`; its literals were consumed whole.
    case other(name: String, line: String)
}

/// One `STATUS` reply: the mailbox's raw name and the numbers kith asks for (absent when not sent).
public struct MailboxStatusData: Equatable, Sendable {
    public var name: [UInt8]
    public var uidNext: UInt32?
    public var uidValidity: UInt32?
    public var messages: UInt32?

    public init(name: [UInt8], uidNext: UInt32? = nil, uidValidity: UInt32? = nil, messages: UInt32? = nil) {
        self.name = name
        self.uidNext = uidNext
        self.uidValidity = uidValidity
        self.messages = messages
    }
}

/// One `LIST` reply (RFC 9051 section 7.3.1). `name` holds the raw mailbox name bytes as the server sent them.
public struct ListEntry: Equatable, Sendable {
    public var attributes: [String]
    public var delimiter: UInt8?
    public var name: [UInt8]

    public init(attributes: [String], delimiter: UInt8?, name: [UInt8]) {
        self.attributes = attributes
        self.delimiter = delimiter
        self.name = name
    }

    /// Whether the entry carries `attribute`, compared case-insensitively (`\Junk`, `\Noselect`...).
    public func has(_ attribute: String) -> Bool {
        attributes.contains { $0.caseInsensitiveCompare(attribute) }
    }
}

/// The data items of one `FETCH` reply (RFC 9051 section 7.5.2).
public struct FetchAttributes: Equatable, Sendable {
    public var uid: UInt32?
    public var internalDate: String?
    public var flags: [String]?
    public var size: UInt64?
    /// Gmail's `X-GM-MSGID` (X-GM-EXT-1): one number per message, the same in every label.
    public var gmailMessageID: UInt64?
    /// `BODY[section]<origin>` items: the section text as sent (`HEADER.FIELDS (FROM TO)`) and its bytes (nil for NIL).
    public var bodySections: [BodySection]

    public init(uid: UInt32? = nil, internalDate: String? = nil, flags: [String]? = nil, size: UInt64? = nil, bodySections: [BodySection] = []) {
        self.uid = uid
        self.internalDate = internalDate
        self.flags = flags
        self.size = size
        self.bodySections = bodySections
    }

    /// Carries the `\Draft` flag (compared as IMAP compares flags, ignoring ASCII case).
    public var isDraft: Bool {
        flags?.contains { $0.caseInsensitiveCompare("\\Draft") } == true
    }

    /// The bytes of the first `BODY[HEADER...]` item: the whole header or chosen fields.
    public var headerBytes: [UInt8]? {
        bodySections.first { $0.section.hasPrefixIgnoringASCIICase("HEADER") }?.data
    }
}

/// One `BODY[...]` or `BINARY[...]` item of a FETCH reply.
public struct BodySection: Equatable, Sendable {
    public var section: String
    public var data: [UInt8]?

    public init(section: String, data: [UInt8]?) {
        self.section = section
        self.data = data
    }
}

extension String {
    /// Whether the text starts with `prefix`, ignoring ASCII case.
    func hasPrefixIgnoringASCIICase(_ prefix: String) -> Bool {
        utf8.count >= prefix.utf8.count && zip(utf8, prefix.utf8).allSatisfy { asciiLower($0) == asciiLower($1) }
    }

    /// ASCII case-insensitive equality, as IMAP atoms compare.
    func caseInsensitiveCompare(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && zip(self.utf8, other.utf8).allSatisfy { asciiLower($0) == asciiLower($1) }
    }
}

extension String {
    /// Without leading and trailing ASCII spaces.
    func trimmingSpaces() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 != 0x20 }), let last = bytes.lastIndex(where: { $0 != 0x20 }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}

@inline(__always) func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 65 && byte <= 90 ? byte | 0x20 : byte
}
