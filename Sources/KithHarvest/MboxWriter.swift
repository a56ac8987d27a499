import Foundation
import KithMail

/// Writes messages in the mboxrd format: a `From ` separator line, LF line ends, `>`-quoting of `From ` lines.
public enum MboxWriter {
    /// One whole message as an mbox entry.
    public static func entry(_ message: [UInt8], internalDate: String?) -> [UInt8] {
        var out = separator(internalDate: internalDate)
        var encoder = MboxEncoder()
        encoder.feed(message, into: &out)
        encoder.finish(into: &out)
        return out
    }

    /// The `From ` line that opens an entry.
    public static func separator(internalDate: String?) -> [UInt8] {
        Array("From MAILER-DAEMON \(asctime(internalDate))\n".utf8)
    }

    /// `Tue Jul 17 09:44:25 1996` from an INTERNALDATE, in UTC.
    static func asctime(_ internalDate: String?) -> String {
        let seconds = internalDate.flatMap(MailDate.parse) ?? 0
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        return formatter.string(from: date)
    }
}

/// The body of one mboxrd entry, fed in pieces of any size: CRLF becomes LF, and a line of zero or
/// more `>` followed by `From ` gets one more `>`, even when a piece ends in the middle of such a line.
public struct MboxEncoder {
    private static let from = Array("From ".utf8)
    /// The start of the current line, held back while it could still turn out to be a `From ` line.
    private var head: [UInt8] = []
    private var atLineStart = true
    private var pendingCR = false
    private var lastByte: UInt8 = 0x0A

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>, into out: inout [UInt8]) {
        for byte in bytes {
            if pendingCR {
                pendingCR = false
                if byte != 0x0A { emit(0x0D, into: &out) }
            }
            if byte == 0x0D {
                pendingCR = true
                continue
            }
            emit(byte, into: &out)
        }
    }

    /// Flushes what is held back and closes the entry with a blank line.
    public mutating func finish(into out: inout [UInt8]) {
        if pendingCR { emit(0x0D, into: &out) }
        pendingCR = false
        out += head
        if let last = head.last { lastByte = last }
        head.removeAll()
        if lastByte != 0x0A { out.append(0x0A) }
        out.append(0x0A)
        atLineStart = true
        lastByte = 0x0A
    }

    private mutating func emit(_ byte: UInt8, into out: inout [UInt8]) {
        guard atLineStart else {
            out.append(byte)
            lastByte = byte
            if byte == 0x0A { atLineStart = true }
            return
        }
        head.append(byte)
        let quotes = head.prefix { $0 == UInt8(ascii: ">") }.count
        let rest = head[quotes...]
        if rest.count <= Self.from.count, rest.elementsEqual(Self.from.prefix(rest.count)) {
            guard rest.count == Self.from.count else { return }  // still undecided
            out.append(UInt8(ascii: ">"))
        }
        out += head
        lastByte = byte
        atLineStart = byte == 0x0A
        head.removeAll(keepingCapacity: true)
    }
}
