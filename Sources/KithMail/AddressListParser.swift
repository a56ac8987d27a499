/// Parses RFC 5322 address lists (section 3.4), including the obsolete forms of section 4.4.
///
/// Lenient by design: a member that does not form an address is skipped, the rest of the list still
/// parses, and nothing is ever returned that was not in the input. Input size is bounded by the caller.
public enum AddressListParser {
    /// Upper bound on members read from one field, so a hostile header cannot cost unbounded work.
    public static let maximumMembers = 20_000

    /// Longer display names are cut to this many Unicode scalars: no real name is longer, and a hostile one must not fill the archive.
    public static let maximumNameLength = 256

    public static func parse(_ value: [UInt8]) -> [MailAddress] {
        plainList(value) ?? parseInFull(value)
    }

    /// The whole grammar, with RFC 7103's recoveries.
    static func parseInFull(_ value: [UInt8]) -> [MailAddress] {
        let tokens = tokenize(value)
        var result: [MailAddress] = []
        var member: [Token] = []
        var angleDepth = 0
        for token in tokens {
            switch token.kind {
            case .special(UInt8(ascii: "<")):
                angleDepth += 1
                member.append(token)
            case .special(UInt8(ascii: ">")):
                // A stray ">" opening a member ("> quoted@reply") is noise; elsewhere it spoils the member.
                guard angleDepth > 0 || !member.isEmpty else { continue }
                // A ">" with no "<" before it ("a@x>") is kept for the member to recover from; it opens nothing.
                angleDepth = max(0, angleDepth - 1)
                member.append(token)
            case .special(UInt8(ascii: ",")) where angleDepth == 0,
                 .special(UInt8(ascii: ";")) where angleDepth == 0:
                result += mailboxes(from: member)
                member.removeAll(keepingCapacity: true)
            case .special(UInt8(ascii: ":")) where angleDepth == 0 && !member.contains(.special(UInt8(ascii: "@"))):
                // A group's display name ends here ("Team: a@x, b@y;"); its members follow.
                member.removeAll(keepingCapacity: true)
            default:
                member.append(token)
            }
            if result.count >= maximumMembers { return result }
        }
        result += mailboxes(from: member)
        return Array(result.prefix(maximumMembers))
    }

    /// One member as written, or what RFC 7103 section 7 lets a reader recover from it: several addresses
    /// in one pair of brackets, repeated brackets, a missing bracket, a name and address without brackets.
    /// Only addresses that are in the member are ever returned.
    private static func mailboxes(from tokens: [Token]) -> [MailAddress] {
        if let address = mailbox(from: tokens) { return [address] }
        let open = UInt8(ascii: "<"), close = UInt8(ascii: ">")
        // Repeated or stray brackets: "<<<a@x>>>", "a@x>".
        var trimmed = tokens[...]
        func count(_ byte: UInt8) -> Int { trimmed.filter { $0.kind == .special(byte) }.count }
        while let last = trimmed.last, last.kind == .special(close), count(close) > count(open) { trimmed = trimmed.dropLast() }
        if let first = trimmed.firstIndex(of: .special(open)) {
            var inner = trimmed[first...].drop { $0.kind == .special(open) }
            while let last = inner.last, last.kind == .special(close) { inner = inner.dropLast() }
            // Several addresses inside one pair of brackets: "<a@x, b@y>".
            let parts = inner.split { $0.kind == .special(UInt8(ascii: ",")) }
            let found = parts.compactMap { addrSpec($0) }
            if found.count == parts.count, !found.isEmpty {
                let name = found.count == 1 ? displayName(Array(trimmed[..<first])) : nil
                return found.map { $0.mailAddress(name: name) }
            }
            return []
        }
        if let address = mailbox(from: Array(trimmed)) { return [address] }
        // "Joe Bloggs joe@example.com": the address is the run of tokens around "@" written without spaces.
        guard let at = trimmed.firstIndex(of: .special(UInt8(ascii: "@"))) else { return [] }
        var start = at
        while start > trimmed.startIndex, !trimmed[start].spaceBefore { start -= 1 }
        var end = at + 1
        while end < trimmed.endIndex, !trimmed[end].spaceBefore { end += 1 }
        guard start > trimmed.startIndex, let address = addrSpec(trimmed[start..<end]) else { return [] }
        return [address.mailAddress(name: displayName(Array(trimmed[..<start])))]
    }

    // MARK: - The common shapes

    /// Most address fields are `local@domain`, `Plain Words <local@domain>` or `"Any, Words" <local@domain>`
    /// members separated by commas, in printable ASCII. This reads those in one pass over the bytes, with the
    /// same result as the full grammar; anything else (escapes, comments, groups, literals, encoded words,
    /// 8-bit bytes, irregular dots, brackets or quotes) returns nil and takes `parseInFull`.
    static func plainList(_ value: [UInt8]) -> [MailAddress]? {
        var result: [MailAddress] = []
        var start = value.startIndex
        var inQuotes = false
        var previous: UInt8 = 0
        for index in value.indices {
            let byte = value[index]
            guard byte == 0x09 || (byte >= 0x20 && byte < 0x7F), byte != UInt8(ascii: "\\") else { return nil }
            if byte == UInt8(ascii: "?") && previous == UInt8(ascii: "=") {
                // An encoded word is one word to the full grammar even with specials in it, and is decoded
                // inside quotes too: only words of plain bytes outside quotes stay on this path.
                if inQuotes { return nil }
                if let end = encodedWordEnd(value, from: index - 1), value[index..<end].contains(where: { isAtomBoundary($0) }) { return nil }
            }
            previous = byte
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
                continue
            }
            guard !inQuotes else { continue }
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"):
                return nil
            case UInt8(ascii: ","):
                guard let member = plainMember(value[start..<index]) else { return nil }
                if let member { result.append(member) }
                guard result.count < maximumMembers else { return nil }
                start = index + 1
            default:
                continue
            }
        }
        guard !inQuotes, let member = plainMember(value[start...]) else { return nil }
        if let member { result.append(member) }
        return result
    }

    /// One member of a plain list: nil when it is not of the plain shapes, `.some(nil)` when it is empty.
    private static func plainMember(_ bytes: ArraySlice<UInt8>) -> MailAddress?? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var member = bytes
        while let first = member.first, isSpace(first) { member = member.dropFirst() }
        while let last = member.last, isSpace(last) { member = member.dropLast() }
        if member.isEmpty { return .some(nil) }
        let quote = UInt8(ascii: "\"")
        if member.first == quote {
            // `"Any, Words" <local@domain>`: the quoted text, as the full grammar's plain-name path takes it.
            guard let closing = member.dropFirst().firstIndex(of: quote) else { return nil }
            var rest = member[(closing + 1)...]
            while let first = rest.first, isSpace(first) { rest = rest.dropFirst() }
            guard rest.first == UInt8(ascii: "<"), rest.last == UInt8(ascii: ">"), rest.count > 2,
                  let address = plainAddrSpec(rest.dropFirst().dropLast()) else { return nil }
            return address.mailAddress(name: String(decoding: member[(member.startIndex + 1)..<closing], as: UTF8.self))
        }
        guard let open = member.firstIndex(of: UInt8(ascii: "<")) else {
            guard !member.contains(where: isSpace), !member.contains(UInt8(ascii: ">")), let address = plainAddrSpec(member) else { return nil }
            return address.mailAddress(name: nil)
        }
        let close = member.index(before: member.endIndex)
        guard member[close] == UInt8(ascii: ">"), let address = plainAddrSpec(member[(open + 1)..<close]) else { return nil }
        var phrase = member[..<open]
        while let last = phrase.last, isSpace(last) { phrase = phrase.dropLast() }
        var encoded = false
        var previous: UInt8 = 0
        for byte in phrase {
            if byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "@") || byte == quote { return nil }
            if byte == UInt8(ascii: "?") && previous == UInt8(ascii: "=") { encoded = true }
            previous = byte
        }
        if phrase.isEmpty { return address.mailAddress(name: nil) }
        // Encoded words are decoded as the full grammar decodes a display name.
        return address.mailAddress(name: encoded ? displayName(tokenize(Array(phrase))) : String(decoding: phrase, as: UTF8.self))
    }

    /// `local@domain` of atom bytes and single dots inside each part, nothing else.
    private static func plainAddrSpec(_ bytes: ArraySlice<UInt8>) -> WrittenAddress? {
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else { return nil }
        let local = bytes[..<at], domain = bytes[(at + 1)...]
        guard isPlainDotAtom(local), isPlainDotAtom(domain) else { return nil }
        return asciiAddress(local: local, domain: domain) ?? writtenAddress(local: Array(local), domain: Array(domain))
    }

    private static func isPlainDotAtom(_ bytes: ArraySlice<UInt8>) -> Bool {
        let dot = UInt8(ascii: ".")
        guard let first = bytes.first, let last = bytes.last, first != dot, last != dot else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == dot && previous == dot { return false }
            if isAtomBoundary(byte) { return false }
            previous = byte
        }
        return true
    }

    // MARK: - Members

    private static func mailbox(from tokens: [Token]) -> MailAddress? {
        if let open = tokens.firstIndex(of: .special(UInt8(ascii: "<"))) {
            let close = tokens[open...].firstIndex(of: .special(UInt8(ascii: ">"))) ?? tokens.endIndex
            var inside = tokens[(open + 1)..<close]
            // obs-route: <@a,@b:user@host> keeps what follows the last colon.
            if let colon = inside.lastIndex(of: .special(UInt8(ascii: ":"))) { inside = inside[(colon + 1)...] }
            guard let address = addrSpec(inside) else { return nil }
            return address.mailAddress(name: displayName(Array(tokens[..<open])) ?? commentName(Array(tokens[close...])))
        }
        guard let address = addrSpec(tokens[...]) else { return nil }
        return address.mailAddress(name: commentName(tokens))
    }

    /// `local@domain` from atoms, dots, quoted strings and domain literals; comments and spaces are ignored.
    ///
    /// Built as bytes and decoded once: this runs for every address of every message.
    private static func addrSpec(_ tokens: ArraySlice<Token>) -> WrittenAddress? {
        let dot = UInt8(ascii: ".")
        guard let at = tokens.lastIndex(where: { $0.kind == .special(UInt8(ascii: "@")) }) else { return nil }
        var local: [UInt8] = []
        local.reserveCapacity(32)
        for token in tokens[..<at] {
            switch token.kind {
            case .comment: continue
            case .atom(let bytes):
                // Two words side by side need a dot between them ("john . doe" is obs-local-part; "john doe" is not).
                if !local.isEmpty, local.last != dot, bytes.first != dot { return nil }
                local += bytes
            case .quoted(let bytes):
                guard !bytes.isEmpty, local.isEmpty || local.last == dot else { return nil }
                if isDotAtom(bytes) {
                    local += bytes
                } else {
                    local.append(UInt8(ascii: "\""))
                    for byte in bytes {
                        if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { local.append(UInt8(ascii: "\\")) }
                        local.append(byte)
                    }
                    local.append(UInt8(ascii: "\""))
                }
            default: return nil
            }
        }
        var domain: [UInt8] = []
        domain.reserveCapacity(32)
        for token in tokens[(at + 1)...] {
            switch token.kind {
            case .comment: continue
            case .atom(let bytes):
                if !domain.isEmpty, domain.last != dot, bytes.first != dot { return nil }
                domain += bytes
            case .domainLiteral(let bytes):
                guard domain.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "\\") }) else { return nil }
                domain.append(UInt8(ascii: "["))
                domain += bytes
                domain.append(UInt8(ascii: "]"))
            default: return nil
            }
        }
        guard !local.isEmpty, !domain.isEmpty, domain.first != dot, domain.last != dot else { return nil }
        var previous: UInt8 = 0
        for byte in domain {
            if byte == dot && previous == dot { return nil }
            previous = byte
        }
        return writtenAddress(local: local, domain: domain)
    }

    /// The identity: lowercased, IDNA labels in their Unicode form. The local part as written is kept
    /// beside it when it differs (reply+AbC@...), for display.
    private static func writtenAddress(local: [UInt8], domain: [UInt8]) -> WrittenAddress? {
        if let address = asciiAddress(local: local[...], domain: domain[...]) { return address }
        guard let localText = lowercasedText(local), let domainText = lowercasedText(domain) else { return nil }
        let domainPart = "@" + Punycode.unicodeDomain(domainText)
        let written = local.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } || local.contains { $0 >= 0x80 }
            ? TextDecoding.headerText(local) : nil
        return WrittenAddress(email: localText + domainPart, spelling: written.flatMap { $0 == localText ? nil : $0 + domainPart })
    }

    /// `writtenAddress` for the common case, printable ASCII without spaces or IDNA labels: the identity
    /// and the spelling are built straight from the bytes, one allocation each. Nil for anything else.
    private static func asciiAddress(local: ArraySlice<UInt8>, domain: ArraySlice<UInt8>) -> WrittenAddress? {
        var mixedCase = false
        for byte in local {
            guard byte > 0x20, byte < 0x7F else { return nil }
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { mixedCase = true }
        }
        var matched = 0
        let ace: [UInt8] = [UInt8(ascii: "x"), UInt8(ascii: "n"), UInt8(ascii: "-"), UInt8(ascii: "-")]
        for byte in domain {
            guard byte > 0x20, byte < 0x7F else { return nil }
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            matched = lower == ace[matched] ? matched + 1 : (lower == ace[0] ? 1 : 0)
            if matched == ace.count { return nil }
        }
        let count = local.count + 1 + domain.count
        func address(keepingLocalCase: Bool) -> String {
            String(unsafeUninitializedCapacity: count) { buffer in
                var position = 0
                for byte in local {
                    buffer[position] = !keepingLocalCase && byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                    position += 1
                }
                buffer[position] = UInt8(ascii: "@")
                position += 1
                for byte in domain {
                    buffer[position] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                    position += 1
                }
                return count
            }
        }
        return WrittenAddress(email: address(keepingLocalCase: false), spelling: mixedCase ? address(keepingLocalCase: true) : nil)
    }

    /// An address's identity and, when its local part was written otherwise, that spelling.
    struct WrittenAddress {
        var email: String
        var spelling: String?

        func mailAddress(name: String?) -> MailAddress {
            MailAddress(name: name.flatMap { AddressListParser.cleanName($0, email: email) }, email: email, spelling: spelling)
        }
    }

    /// Lowercased text of address bytes, or nil when they hold control characters (C0, DEL or, once decoded, C1).
    private static func lowercasedText(_ bytes: [UInt8]) -> String? {
        var ascii = true
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return nil }
            if byte >= 0x80 { ascii = false }
        }
        if ascii {
            return String(unsafeUninitializedCapacity: bytes.count) { buffer in
                for (index, byte) in bytes.enumerated() {
                    buffer[index] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                }
                return bytes.count
            }
        }
        let text = TextDecoding.headerText(bytes)
        guard !text.unicodeScalars.contains(where: { $0.value >= 0x7F && $0.value < 0xA0 }) else { return nil }
        return text.lowercased()
    }

    private static func displayName(_ tokens: [Token]) -> String? {
        if let plain = plainASCIIName(tokens) { return plain }
        var words: [String] = []
        for token in tokens {
            var text: String
            var more: [String] = []
            switch token.kind {
            case .atom(let bytes): text = TextDecoding.headerText(bytes)
            case .quoted(let bytes):
                // Encoded words inside quotes are decoded too, as Thunderbird and Python's headerregistry do.
                let parts = TextDecoding.headerText(bytes).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                text = parts.first ?? ""
                more = Array(parts.dropFirst())
            case .special(let byte) where byte != UInt8(ascii: "<") && byte != UInt8(ascii: "\""): text = String(UnicodeScalar(byte))
            default: continue
            }
            // Tokens the author wrote without a space between ("Doe@Home", "O'Brien") stay one word.
            if token.spaceBefore || words.isEmpty { words.append(text) } else { words[words.count - 1] += text }
            words += more
        }
        guard !words.isEmpty else { return nil }
        return EncodedWord.decodePhrase(words)
    }

    /// The common case, a name of ASCII words with no encoded word: the words' bytes with a space where the
    /// author put one, in one allocation. Equal to the general path once `cleanName` has folded the spaces.
    private static func plainASCIIName(_ tokens: [Token]) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48)
        for token in tokens {
            let text: ArraySlice<UInt8>
            switch token.kind {
            case .atom(let value), .quoted(let value): text = value
            case .special(let byte) where byte != UInt8(ascii: "<") && byte != UInt8(ascii: "\""): text = [byte][...]
            default: continue
            }
            var previous: UInt8 = 0
            for byte in text {
                if byte >= 0x80 || (previous == UInt8(ascii: "=") && byte == UInt8(ascii: "?")) { return nil }
                previous = byte
            }
            if token.spaceBefore, !bytes.isEmpty { bytes.append(0x20) }
            bytes += text
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    /// `user@host (Real Name)`: the last non-empty comment serves as the name.
    private static func commentName(_ tokens: [Token]) -> String? {
        for token in tokens.reversed() {
            if case .comment(let bytes) = token.kind {
                let words = TextDecoding.headerText(bytes).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if !words.isEmpty { return EncodedWord.decodePhrase(words) }
            }
        }
        return nil
    }

    /// Strips control characters (a decoded `=0D=0A` must never reach the archive), folds spaces, drops names that are just the address.
    static func cleanName(_ raw: String, email: String) -> String? {
        if raw.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            // The common case, ASCII without controls: fold runs of spaces and trim, byte by byte.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(raw.utf8.count)
            for byte in raw.utf8 where !(byte == 0x20 && (bytes.isEmpty || bytes.last == 0x20)) { bytes.append(byte) }
            if bytes.last == 0x20 { bytes.removeLast() }
            return finishASCIIName(bytes[...], email: email)
        }
        var scalars = String.UnicodeScalarView()
        var lastWasSpace = true
        for scalar in raw.unicodeScalars {
            let isSpace = scalar.properties.isWhitespace || scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0)
            if isSpace {
                if !lastWasSpace { scalars.append(" ") }
                lastWasSpace = true
            } else {
                scalars.append(scalar)
                lastWasSpace = false
            }
        }
        var name = String(scalars)
        while name.hasSuffix(" ") { name.removeLast() }
        return finishName(name, email: email)
    }

    /// `finishName` of folded printable ASCII, on its bytes.
    private static func finishASCIIName(_ folded: ArraySlice<UInt8>, email: String) -> String? {
        var name = folded
        if name.count >= 2, let first = name.first, first == name.last, first == UInt8(ascii: "'") || first == UInt8(ascii: "\"") {
            name = name.dropFirst().dropLast()
            while name.first == 0x20 { name = name.dropFirst() }
            while name.last == 0x20 { name = name.dropLast() }
        }
        if name.isEmpty { return nil }
        if name.count == email.utf8.count,
           zip(name, email.utf8).allSatisfy({ ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0) == $1 }) {
            return nil
        }
        return String(decoding: name.prefix(maximumNameLength), as: UTF8.self)
    }

    /// Drops stray quotes around a name, and names that are empty or just the address.
    private static func finishName(_ cleaned: String, email: String) -> String? {
        var name = cleaned
        if name.count >= 2, let first = name.first, let last = name.last, (first == "'" && last == "'") || (first == "\"" && last == "\"") {
            name = String(name.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        }
        if name.isEmpty || name.lowercased() == email { return nil }
        if name.unicodeScalars.count > maximumNameLength {
            name = String(String.UnicodeScalarView(name.unicodeScalars.prefix(maximumNameLength)))
        }
        return name
    }

    /// RFC 5322 dot-atom: atext runs (non-ASCII allowed, RFC 6532) separated by single dots.
    private static func isDotAtom(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, first != UInt8(ascii: "."), last != UInt8(ascii: ".") else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") && previous == UInt8(ascii: ".") { return false }
            if byte <= 0x20 || byte == 0x7F { return false }
            if byte < 0x80 && byte != UInt8(ascii: "."), isAtomBoundary(byte) { return false }
            previous = byte
        }
        return true
    }

    // MARK: - Tokens

    /// Payloads are slices of the header value (no copy), except quoted strings and comments that held
    /// escapes or line breaks, which are copied once without them.
    enum Kind: Equatable {
        case atom(ArraySlice<UInt8>)
        case quoted(ArraySlice<UInt8>)
        case comment(ArraySlice<UInt8>)
        case domainLiteral(ArraySlice<UInt8>)
        case special(UInt8)
    }

    /// A lexical token and whether white space preceded it (display names keep the author's spacing).
    struct Token: Equatable {
        var kind: Kind
        var spaceBefore: Bool

        static func == (lhs: Token, rhs: Token) -> Bool { lhs.kind == rhs.kind }
        static func special(_ byte: UInt8) -> Token { Token(kind: .special(byte), spaceBefore: false) }
    }

    static func tokenize(_ value: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        let count = value.count
        var spaceBefore = false
        func emit(_ kind: Kind) {
            tokens.append(Token(kind: kind, spaceBefore: spaceBefore))
            spaceBefore = false
        }
        while index < count {
            let byte = value[index]
            switch byte {
            case 0x20, 0x09, 0x0D, 0x0A, 0x00:
                spaceBefore = true
                index += 1
            case UInt8(ascii: "\"") where !hasClosingQuote(value, after: index):
                // An unbalanced quote (RFC 7103 section 7.3) quotes nothing: what follows is read as usual,
                // and the quote still separates (an address never spans it).
                emit(.special(byte))
                index += 1
            case UInt8(ascii: "\""):
                index += 1
                let start = index
                var plain = true
                while index < count, value[index] != UInt8(ascii: "\"") {
                    let inner = value[index]
                    if inner == UInt8(ascii: "\\") || inner == 0x0D || inner == 0x0A { plain = false }
                    if inner == UInt8(ascii: "\\"), index + 1 < count { index += 1 }
                    index += 1
                }
                if plain {
                    emit(.quoted(value[start..<min(index, count)]))
                } else {
                    var content: [UInt8] = []
                    var position = start
                    while position < count, value[position] != UInt8(ascii: "\"") {
                        if value[position] == UInt8(ascii: "\\"), position + 1 < count { position += 1 }
                        if value[position] != 0x0D && value[position] != 0x0A { content.append(value[position]) }
                        position += 1
                    }
                    emit(.quoted(content[...]))
                }
                index += 1
            case UInt8(ascii: "("):
                var depth = 1
                var content: [UInt8] = []
                index += 1
                while index < count {
                    let inner = value[index]
                    if inner == UInt8(ascii: "\\"), index + 1 < count {
                        content.append(value[index + 1])
                        index += 2
                        continue
                    }
                    if inner == UInt8(ascii: "(") { depth += 1 }
                    if inner == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    content.append(inner)
                    index += 1
                }
                index += 1
                emit(.comment(content[...]))
                spaceBefore = true
            case UInt8(ascii: "["):
                guard let end = value[index...].firstIndex(of: UInt8(ascii: "]")) else {
                    emit(.special(byte))  // an unclosed literal makes its member invalid, nothing more
                    index += 1
                    continue
                }
                emit(.domainLiteral(value[(index + 1)..<end]))
                index = end + 1
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: ";"),
                 UInt8(ascii: ":"), UInt8(ascii: "]"), UInt8(ascii: ")"), UInt8(ascii: "\\"):
                emit(.special(byte))
                index += 1
            default:
                let start = index
                while index < count {
                    if let end = encodedWordEnd(value, from: index) {
                        // An encoded word is one word even when a broken sender left specials raw in it.
                        index = end
                        continue
                    }
                    if isAtomBoundary(value[index]) { break }
                    index += 1
                }
                emit(.atom(value[start..<index]))
            }
        }
        return tokens
    }

    /// The index just past `=?charset?enc?text?=` starting at `index`, if one starts there (no white space, at most 256 bytes).
    private static func encodedWordEnd(_ value: [UInt8], from index: Int) -> Int? {
        guard index + 1 < value.count, value[index] == UInt8(ascii: "="), value[index + 1] == UInt8(ascii: "?") else { return nil }
        var questionMarks = 1
        var position = index + 2
        let limit = min(value.count, index + 256)
        while position < limit {
            let byte = value[position]
            if byte <= 0x20 || byte == 0x7F { return nil }
            if byte == UInt8(ascii: "?") {
                questionMarks += 1
                if questionMarks >= 4, position + 1 < value.count, value[position + 1] == UInt8(ascii: "=") { return position + 2 }
            }
            position += 1
        }
        return nil
    }

    /// Whether the quote at `index` is closed later (an escaped quote does not close it).
    private static func hasClosingQuote(_ value: [UInt8], after index: Int) -> Bool {
        var position = index + 1
        while position < value.count {
            if value[position] == UInt8(ascii: "\\") { position += 2; continue }
            if value[position] == UInt8(ascii: "\"") { return true }
            position += 1
        }
        return false
    }

    @inline(__always) private static func isAtomBoundary(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00, 0x09, 0x0A, 0x0D, 0x20, UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"),
             UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "["),
             UInt8(ascii: "]"), UInt8(ascii: "\\"):
            true
        default:
            false
        }
    }
}
