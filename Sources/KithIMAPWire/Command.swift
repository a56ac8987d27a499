/// A command kith sends (RFC 9051 section 6), encoded to bytes with a caller-chosen tag.
///
/// kith only reads: there is deliberately no SELECT, STORE, COPY, EXPUNGE or APPEND here.
public enum Command: Equatable, Sendable {
    case capability
    case noop
    /// `LIST "" "*"`, with `RETURN (SPECIAL-USE)` (RFC 6154) only when the server advertises it
    /// (Exchange answers BAD to what it does not offer).
    case list(pattern: String, returnSpecialUse: Bool)
    /// `STATUS mailbox (UIDNEXT UIDVALIDITY MESSAGES)`: a folder's state without opening it.
    case status(mailbox: [UInt8])
    /// `EXAMINE mailbox`: the read-only SELECT (RFC 9051 section 6.3.3).
    case examine(mailbox: [UInt8])
    /// `UID FETCH first:last (items)` (RFC 9051 section 6.4.9).
    case uidFetch(first: UInt32, last: UInt32, items: String)
    /// `UID FETCH uid,uid,... (items)` for a list of UIDs.
    case uidFetchList(uids: [UInt32], items: String)
    case logout

    /// What kith asks STATUS for.
    public static let statusItems = "UIDNEXT UIDVALIDITY MESSAGES"

    /// How large a literal the server takes without a continuation request (RFC 7888): unlimited with
    /// LITERAL+, 4096 bytes with LITERAL-, none otherwise.
    public static func nonSynchronizingLimit(capabilities: Set<String>) -> Int {
        capabilities.contains("LITERAL+") ? Int.max : capabilities.contains("LITERAL-") ? 4096 : 0
    }

    /// The command as sent, in one piece; literals are non-synchronising (`{n+}`). For servers with LITERAL+.
    public func encoded(tag: String) -> [UInt8] {
        encodedSegments(tag: tag, nonSynchronizingLimit: Int.max).joined().map { $0 }
    }

    /// The command in the pieces the client sends: after each piece but the last, the server must answer
    /// with a continuation request (`+`) before the next is sent. Literals up to `nonSynchronizingLimit`
    /// bytes are sent as `{n+}` in the same piece.
    public func encodedSegments(tag: String, nonSynchronizingLimit: Int) -> [[UInt8]] {
        var segments: [[UInt8]] = []
        var out = Array(tag.utf8)
        out.append(UInt8(ascii: " "))
        switch self {
        case .capability:
            out += Array("CAPABILITY".utf8)
        case .noop:
            out += Array("NOOP".utf8)
        case .list(let pattern, let returnSpecialUse):
            out += Array("LIST \"\" ".utf8)
            Self.appendString(Array(pattern.utf8), to: &out, segments: &segments, nonSynchronizingLimit: nonSynchronizingLimit)
            if returnSpecialUse { out += Array(" RETURN (SPECIAL-USE)".utf8) }
        case .status(let mailbox):
            out += Array("STATUS ".utf8)
            Self.appendString(mailbox, to: &out, segments: &segments, nonSynchronizingLimit: nonSynchronizingLimit)
            out += Array(" (\(Self.statusItems))".utf8)
        case .examine(let mailbox):
            out += Array("EXAMINE ".utf8)
            Self.appendString(mailbox, to: &out, segments: &segments, nonSynchronizingLimit: nonSynchronizingLimit)
        case .uidFetch(let first, let last, let items):
            out += Array("UID FETCH \(first):\(last) (\(items))".utf8)
        case .uidFetchList(let uids, let items):
            out += Array("UID FETCH \(uids.map(String.init).joined(separator: ",")) (\(items))".utf8)
        case .logout:
            out += Array("LOGOUT".utf8)
        }
        out += [0x0D, 0x0A]
        segments.append(out)
        return segments
    }

    /// Appends `value` as a quoted string, or as a literal when it holds bytes a quoted string cannot.
    /// A synchronising literal ends the current segment: the server's `+` must come before its bytes.
    static func appendString(_ value: [UInt8], to out: inout [UInt8], segments: inout [[UInt8]], nonSynchronizingLimit: Int) {
        let quotable = value.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        if quotable {
            out.append(UInt8(ascii: "\""))
            for byte in value {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        } else if value.count <= nonSynchronizingLimit {
            out += Array("{\(value.count)+}\r\n".utf8)
            out += value
        } else {
            out += Array("{\(value.count)}\r\n".utf8)
            segments.append(out)
            out = value
        }
    }
}
