/// Decodes one framed response (its line, literals included, through the final LF) into a `Response`.
///
/// Grammar: RFC 9051 section 9. Responses kith never interprets are returned as `.other` rather than
/// rejected, so a server extension cannot break a harvest.
struct ResponseDecoder {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private let maxNestingDepth: Int

    init(frame: ArraySlice<UInt8>, maxNestingDepth: Int) {
        self.bytes = frame
        self.position = frame.startIndex
        self.maxNestingDepth = maxNestingDepth
    }

    mutating func decode() throws(WireError) -> Response {
        switch peek() {
        case UInt8(ascii: "+"):
            position += 1
            skipSpaces()
            return .continuation(text: restOfLine())
        case UInt8(ascii: "*"):
            position += 1
            try expect(UInt8(ascii: " "))
            return .untagged(try untagged())
        default:
            let tag = try atom()
            try expect(UInt8(ascii: " "))
            return .tagged(tag: tag, status: try status())
        }
    }

    // MARK: - Responses

    private mutating func untagged() throws(WireError) -> UntaggedResponse {
        if let byte = peek(), isDigit(byte) {
            let number = try number32()
            try expect(UInt8(ascii: " "))
            let name = try atom().uppercased()
            switch name {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                try expect(UInt8(ascii: " "))
                return .fetch(sequence: number, try fetchAttributes())
            default: return .other(name: name, line: restOfLine())
            }
        }
        let name = try atom().uppercased()
        if StatusKind(rawValue: name) != nil {
            position -= name.utf8.count
            return .status(try status())
        }
        switch name {
        case "CAPABILITY":
            return .capability(restOfLine().split(separator: " ").map(String.init))
        case "LIST", "LSUB":
            try expect(UInt8(ascii: " "))
            return .list(try listEntry())
        case "FLAGS":
            try expect(UInt8(ascii: " "))
            return .flags(try atomList())
        case "STATUS":
            try expect(UInt8(ascii: " "))
            return .mailboxStatus(try mailboxStatus())
        default:
            skipSpaces()
            return .other(name: name, line: restOfLine())
        }
    }

    private mutating func status() throws(WireError) -> StatusResponse {
        let word = try atom().uppercased()
        guard let kind = StatusKind(rawValue: word) else {
            throw malformed("expected OK, NO, BAD, BYE or PREAUTH")
        }
        skipSpaces()
        var code: ResponseCode?
        if peek() == UInt8(ascii: "[") {
            position += 1
            code = try responseCode()
            skipSpaces()
        }
        return StatusResponse(kind: kind, code: code, text: restOfLine())
    }

    private mutating func responseCode() throws(WireError) -> ResponseCode {
        let name = try atom().uppercased()
        var arguments: String?
        if peek() == UInt8(ascii: " ") {
            position += 1
            let start = position
            while let byte = peek(), byte != UInt8(ascii: "]"), !isLineEnd(byte) { position += 1 }
            arguments = String(decoding: bytes[start..<position], as: UTF8.self)
        }
        try expect(UInt8(ascii: "]"))
        switch name {
        case "UIDVALIDITY":
            return .uidValidity(try nonZeroNumber(arguments, code: name))
        case "UIDNEXT":
            return .uidNext(try nonZeroNumber(arguments, code: name))
        case "READ-ONLY": return .readOnly
        case "READ-WRITE": return .readWrite
        case "CAPABILITY": return .capability((arguments ?? "").split(separator: " ").map(String.init))
        default: return .other(name: name, arguments: arguments)
        }
    }

    /// The nz-number argument of a response code such as UIDNEXT (RFC 9051 section 9): 1 to 2^32 - 1.
    private func nonZeroNumber(_ argument: String?, code: String) throws(WireError) -> UInt32 {
        let text = (argument ?? "").trimmingSpaces()
        guard let value = UInt32(text), value > 0 else {
            throw malformed("\(code) \(text.prefix(24)) is not a number from 1 to 4294967295")
        }
        return value
    }

    /// `mailbox (NAME number ...)`; unknown items are skipped, trailing spaces (Exchange) tolerated.
    private mutating func mailboxStatus() throws(WireError) -> MailboxStatusData {
        var status: MailboxStatusData
        switch try value(depth: 0) {
        case .string(let text): status = MailboxStatusData(name: text)
        case .atom(let text): status = MailboxStatusData(name: Array(text.utf8))
        case .number(let number): status = MailboxStatusData(name: Array(String(number).utf8))
        default: throw malformed("STATUS mailbox name missing")
        }
        skipSpaces()
        guard case .list(let items) = try value(depth: 0) else { throw malformed("STATUS attributes are not a list") }
        var index = 0
        while index + 1 < items.count {
            if case .atom(let name) = items[index], case .number(let number) = items[index + 1] {
                guard number <= UInt64(UInt32.max) else { throw malformed("STATUS \(name) \(number) is larger than 4294967295") }
                switch name.uppercased() {
                case "UIDNEXT": status.uidNext = UInt32(number)
                case "UIDVALIDITY": status.uidValidity = UInt32(number)
                case "MESSAGES": status.messages = UInt32(number)
                default: break
                }
            }
            index += 2
        }
        skipSpaces()
        return status
    }

    private mutating func listEntry() throws(WireError) -> ListEntry {
        let attributes = try atomList()
        try expect(UInt8(ascii: " "))
        var delimiter: UInt8?
        switch try value(depth: 0) {
        case .string(let text) where text.count == 1: delimiter = text[0]
        case .nil: delimiter = nil
        default: throw malformed("LIST delimiter is not a one-character string or NIL")
        }
        try expect(UInt8(ascii: " "))
        let name: [UInt8]
        switch try value(depth: 0) {
        case .string(let text): name = text
        case .atom(let text): name = Array(text.utf8)
        case .number(let number): name = Array(String(number).utf8)
        default: throw malformed("LIST mailbox name missing")
        }
        return ListEntry(attributes: attributes, delimiter: delimiter, name: name)
    }

    private mutating func fetchAttributes() throws(WireError) -> FetchAttributes {
        try expect(UInt8(ascii: "("))
        var result = FetchAttributes()
        skipSpaces()
        while peek() != UInt8(ascii: ")") {
            let name = try atom()
            try expect(UInt8(ascii: " "))
            // Item names are short, except BODY[HEADER.FIELDS (...)]: that one is not copied to compare.
            let upper = name.utf8.count <= 16 ? name.uppercased() : ""
            switch upper {
            case "UID":
                result.uid = try number32()
            case "RFC822.SIZE":
                // RFC 9051 makes it a number64: at most 2^63 - 1.
                guard case .number(let size) = try value(depth: 1), size <= UInt64(Int64.max) else {
                    throw malformed("RFC822.SIZE is not a number64")
                }
                result.size = size
            case "INTERNALDATE":
                guard case .string(let date) = try value(depth: 1) else { throw malformed("INTERNALDATE is not a string") }
                result.internalDate = String(decoding: date, as: UTF8.self)
            case "FLAGS":
                result.flags = try atomList()
            case "X-GM-MSGID":
                guard case .number(let id) = try value(depth: 1) else { throw malformed("X-GM-MSGID is not a number") }
                result.gmailMessageID = id
            default:
                if name.hasPrefixIgnoringASCIICase("BODY[") || name.hasPrefixIgnoringASCIICase("BINARY[") || name.hasPrefixIgnoringASCIICase("RFC822") {
                    let section = Self.sectionText(of: name)
                    switch try value(depth: 1) {
                    case .string(let data): result.bodySections.append(BodySection(section: section, data: data))
                    case .nil: result.bodySections.append(BodySection(section: section, data: nil))
                    default: throw malformed("\(name) is not a string or NIL")
                    }
                } else {
                    _ = try value(depth: 1)
                }
            }
            skipSpaces()
            guard peek() != nil else { throw malformed("FETCH list not closed") }
        }
        position += 1
        return result
    }

    /// `BODY[HEADER.FIELDS (FROM)]<0>` -> `HEADER.FIELDS (FROM)`; `RFC822.HEADER` stays whole.
    private static func sectionText(of name: String) -> String {
        let bytes = name.utf8
        guard let open = bytes.firstIndex(of: UInt8(ascii: "[")), let close = bytes.lastIndex(of: UInt8(ascii: "]")), open < close else { return name }
        return String(name[bytes.index(after: open)..<close])
    }

    // MARK: - Values

    /// A generic value: atom, number, quoted or literal string, NIL, or a parenthesised list.
    enum Value {
        case atom(String)
        case number(UInt64)
        case string([UInt8])
        case `nil`
        case list([Value])
    }

    private mutating func value(depth: Int) throws(WireError) -> Value {
        guard let byte = peek() else { throw malformed("value expected") }
        switch byte {
        case UInt8(ascii: "("):
            guard depth < maxNestingDepth else { throw .nestingTooDeep(limit: maxNestingDepth) }
            position += 1
            var items: [Value] = []
            skipSpaces()
            while peek() != UInt8(ascii: ")") {
                guard peek() != nil, !isLineEnd(peek()!) else { throw malformed("list not closed") }
                items.append(try value(depth: depth + 1))
                skipSpaces()
            }
            position += 1
            return .list(items)
        case UInt8(ascii: "\""):
            return .string(try quoted())
        case UInt8(ascii: "{"), UInt8(ascii: "~"):
            return .string(try literal())
        default:
            let text = try atom()
            if text.utf8.allSatisfy(isDigit) {
                guard let number = UInt64(text) else { throw malformed("number \(text.prefix(24)) out of range") }
                return .number(number)
            }
            if text.caseInsensitiveCompare("NIL") { return .nil }
            return .atom(text)
        }
    }

    private mutating func atomList() throws(WireError) -> [String] {
        guard case .list(let items) = try value(depth: 0) else { throw malformed("parenthesised list expected") }
        return items.compactMap { item in
            switch item {
            case .atom(let text): text
            case .number(let number): String(number)
            case .string(let text): String(decoding: text, as: UTF8.self)
            default: nil
            }
        }
    }

    private mutating func quoted() throws(WireError) -> [UInt8] {
        position += 1
        var result: [UInt8] = []
        while let byte = peek() {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard let escaped = peek(), !isLineEnd(escaped) else { throw malformed("escape at end of quoted string") }
                result.append(escaped)
                position += 1
            case 0x0D, 0x0A:
                throw malformed("line end inside quoted string")
            default:
                result.append(byte)
            }
        }
        throw malformed("quoted string not closed")
    }

    private mutating func literal() throws(WireError) -> [UInt8] {
        if peek() == UInt8(ascii: "~") { position += 1 }
        try expect(UInt8(ascii: "{"))
        let digits = position
        while let byte = peek(), isDigit(byte) { position += 1 }
        let text = String(decoding: bytes[digits..<position], as: UTF8.self)
        // A literal in the middle of a line was not framed as one: its size must still fit what is here.
        guard let announced = UInt64(text), announced <= UInt64(bytes.endIndex - position) else {
            throw malformed("literal size {\(text.prefix(24))} out of range")
        }
        let count = Int(announced)
        if peek() == UInt8(ascii: "+") { position += 1 }
        try expect(UInt8(ascii: "}"))
        if peek() == 0x0D { position += 1 }
        try expect(0x0A)
        guard bytes.endIndex - position >= count else { throw malformed("literal shorter than announced") }
        let data = Array(bytes[position..<position + count])
        position += count
        return data
    }

    /// An atom, or a FETCH item name such as `BODY[HEADER.FIELDS (FROM TO)]<0>` whose brackets hold spaces.
    private mutating func atom() throws(WireError) -> String {
        let start = position
        while let byte = peek() {
            if byte == UInt8(ascii: "[") {
                while let inner = peek(), inner != UInt8(ascii: "]") {
                    guard !isLineEnd(inner) else { throw malformed("section not closed") }
                    position += 1
                }
                position += 1
                continue
            }
            guard isAtomByte(byte) else { break }
            position += 1
        }
        guard position > start else { throw malformed("atom expected") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func number32() throws(WireError) -> UInt32 {
        let start = position
        while let byte = peek(), isDigit(byte) { position += 1 }
        guard position > start else { throw malformed("number expected") }
        let text = String(decoding: bytes[start..<min(position, start + 24)], as: UTF8.self)
        guard let value = UInt32(text) else { throw malformed("number \(text) out of range (at most 4294967295)") }
        return value
    }

    // MARK: - Bytes

    private func peek() -> UInt8? {
        position < bytes.endIndex ? bytes[position] : nil
    }

    private mutating func expect(_ byte: UInt8) throws(WireError) {
        guard peek() == byte else { throw malformed("expected \"\(Character(Unicode.Scalar(byte)))\"") }
        position += 1
    }

    private mutating func skipSpaces() {
        while peek() == UInt8(ascii: " ") { position += 1 }
    }

    /// The rest of the line (without CRLF), decoded leniently; literal bytes in it stay as they are.
    private mutating func restOfLine() -> String {
        var end = bytes.endIndex
        while end > position, isLineEnd(bytes[end - 1]) { end -= 1 }
        let text = String(decoding: bytes[position..<end], as: UTF8.self)
        position = bytes.endIndex
        return text
    }

    private func malformed(_ reason: String) -> WireError {
        let from = max(bytes.startIndex, position - 20)
        let to = min(bytes.endIndex, position + 20)
        let excerpt = String(decoding: bytes[from..<to].map { $0 < 0x20 || $0 > 0x7E ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
        return .malformed(reason: reason, excerpt: excerpt)
    }
}

@inline(__always) private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
@inline(__always) private func isLineEnd(_ byte: UInt8) -> Bool { byte == 0x0D || byte == 0x0A }

/// ATOM-CHAR of RFC 9051, widened to accept `\` (flags), `*` and `%`, which servers send in responses.
@inline(__always) private func isAtomByte(_ byte: UInt8) -> Bool {
    switch byte {
    case 0...0x20, 0x7F, UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "\""), UInt8(ascii: "]"):
        false
    default:
        true
    }
}
