/// A command kith sends (RFC 9051 section 6), encoded to bytes with a caller-chosen tag.
///
/// kith only reads: there is deliberately no SELECT, STORE, COPY, EXPUNGE or APPEND here.
public enum Command: Equatable, Sendable {
    case capability
    case noop
    /// `LIST "" "*"`, with `RETURN (SPECIAL-USE)` (RFC 6154) when the server advertises it.
    case list(pattern: String, returnSpecialUse: Bool)
    /// `EXAMINE mailbox`: the read-only SELECT (RFC 9051 section 6.3.3).
    case examine(mailbox: [UInt8])
    /// `UID FETCH first:last (items)` (RFC 9051 section 6.4.9).
    case uidFetch(first: UInt32, last: UInt32, items: String)
    /// `UID FETCH uid,uid,... (items)` for a list of UIDs.
    case uidFetchList(uids: [UInt32], items: String)
    case logout

    /// The command line(s) as sent; mailbox names that cannot be quoted use a LITERAL+ (RFC 7888) literal.
    public func encoded(tag: String) -> [UInt8] {
        var out = Array(tag.utf8)
        out.append(UInt8(ascii: " "))
        switch self {
        case .capability:
            out += Array("CAPABILITY".utf8)
        case .noop:
            out += Array("NOOP".utf8)
        case .list(let pattern, let returnSpecialUse):
            out += Array("LIST \"\" ".utf8)
            Self.appendString(Array(pattern.utf8), to: &out)
            if returnSpecialUse { out += Array(" RETURN (SPECIAL-USE)".utf8) }
        case .examine(let mailbox):
            out += Array("EXAMINE ".utf8)
            Self.appendString(mailbox, to: &out)
        case .uidFetch(let first, let last, let items):
            out += Array("UID FETCH \(first):\(last) (\(items))".utf8)
        case .uidFetchList(let uids, let items):
            out += Array("UID FETCH \(uids.map(String.init).joined(separator: ",")) (\(items))".utf8)
        case .logout:
            out += Array("LOGOUT".utf8)
        }
        out += [0x0D, 0x0A]
        return out
    }

    /// Appends `value` as a quoted string, or as a non-synchronising literal when it holds bytes a quoted string cannot.
    static func appendString(_ value: [UInt8], to out: inout [UInt8]) {
        let quotable = value.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        if quotable {
            out.append(UInt8(ascii: "\""))
            for byte in value {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        } else {
            out += Array("{\(value.count)+}\r\n".utf8)
            out += value
        }
    }
}
