/// Parses RFC 5322 `Date:` values (section 3.3, with the obsolete forms of 4.3) and IMAP INTERNALDATE.
///
/// Returns seconds since 1970 in UTC, or nil for anything that is not a plausible date.
public enum MailDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0,
        "edt": -4 * 60, "est": -5 * 60, "cdt": -5 * 60, "cst": -6 * 60,
        "mdt": -6 * 60, "mst": -7 * 60, "pdt": -7 * 60, "pst": -8 * 60,
    ]

    /// `Tue, 1 Jul 2003 10:52:37 +0200`, `1 Jul 03 10:52 EDT`, `17-Jul-1996 02:44:25 -0700` and similar.
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// `parse` of the text's UTF-8 bytes, without making a String: it runs once per harvested message.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        // Tokens split at space, tab, comma and "-", lowercased; comments "(...)" dropped; a token
        // right after a "-" remembers it (the sign of "-0700"). At most 9 are read.
        var lowered = [UInt8](repeating: 0, count: bytes.count)
        var tokens: [Token] = []
        tokens.reserveCapacity(9)
        var length = 0
        var tokenStart = 0
        var negative = false
        var depth = 0
        func flush() {
            if length > tokenStart { tokens.append(Token(start: tokenStart, end: length, negative: negative)) }
            tokenStart = length
        }
        for byte in bytes {
            if byte == UInt8(ascii: "(") { flush(); depth += 1; continue }
            if byte == UInt8(ascii: ")") { depth = max(0, depth - 1); continue }
            if depth > 0 { continue }
            switch byte {
            case 0x20, 0x09, UInt8(ascii: ","):
                flush()
                negative = false
            case UInt8(ascii: "-"):
                flush()
                negative = true
            default:
                lowered[length] = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
                length += 1
            }
            if tokens.count > 8 { break }
        }
        flush()
        return lowered.withUnsafeBufferPointer { date(tokens: tokens[...], in: $0) }
    }

    /// A token of `parse`: its lowercased bytes' range and whether a "-" came right before it.
    private struct Token {
        var start: Int
        var end: Int
        var negative: Bool
    }

    private static func date(tokens allTokens: ArraySlice<Token>, in text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var tokens = allTokens
        func bytes(_ token: Token) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: text[token.start..<token.end]) }
        if let first = tokens.first, first.end - first.start >= 3, bytes(first).allSatisfy({ $0 >= 97 && $0 <= 122 }), month(bytes(first)) == nil {
            tokens = tokens.dropFirst()
        }
        guard tokens.count >= 4 else { return nil }
        let base = tokens.startIndex
        var dayIndex = base
        var monthIndex = base + 1
        if number(bytes(tokens[base])) == nil, number(bytes(tokens[base + 1])) != nil { (dayIndex, monthIndex) = (base + 1, base) }  // "Jul 1 2003"
        guard let day = number(bytes(tokens[dayIndex])), (1...31).contains(day),
              let month = month(bytes(tokens[monthIndex])), var year = number(bytes(tokens[base + 2])) else { return nil }
        let yearDigits = tokens[base + 2].end - tokens[base + 2].start
        if yearDigits <= 2 { year += year < 50 ? 2000 : 1900 } else if yearDigits == 3 { year += 1900 }
        guard (1970...9999).contains(year) else { return nil }
        // hh:mm[:ss], every part digits.
        let time = bytes(tokens[base + 3]).split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            .map { number(UnsafeBufferPointer(rebasing: $0)) }
        guard time.count >= 2, time.allSatisfy({ $0 != nil }) else { return nil }
        let hour = time[0]!, minute = time[1]!, second = time.count > 2 ? time[2]! : 0
        guard hour < 24, minute < 60, second <= 60 else { return nil }
        var offsetMinutes = 0
        if tokens.count > 4 {
            let zone = tokens[base + 4]
            let zoneBytes = bytes(zone)
            if let named = zones[String(decoding: zoneBytes, as: UTF8.self)] {
                offsetMinutes = named
            } else if zoneBytes.count == 4 || zoneBytes.count == 5, let value = number(UnsafeBufferPointer(rebasing: zoneBytes[(zoneBytes.count - 4)...])) {
                offsetMinutes = (value / 100 * 60 + value % 100) * (zone.negative ? -1 : 1)
            }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
    }

    private static let monthNames: [[UInt8]] = months.map { Array($0.utf8) }

    /// 1-12 for a token starting with a month's three letters.
    private static func month(_ token: UnsafeBufferPointer<UInt8>) -> Int? {
        guard token.count >= 3 else { return nil }
        return monthNames.firstIndex { $0[0] == token[0] && $0[1] == token[1] && $0[2] == token[2] }.map { $0 + 1 }
    }

    private static func number(_ token: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !token.isEmpty, token.count <= 9 else { return nil }
        var value = 0
        for byte in token {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form every kith output uses.
    public static func iso8601(_ seconds: Int64) -> String {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let rest = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civilFromDays(days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
