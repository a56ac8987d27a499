/// Decodes mailbox names in modified UTF-7 (RFC 3501 section 5.1.3) for display.
///
/// The raw bytes stay the mailbox's identity; this is only what a person reads.
public enum ModifiedUTF7 {
    public static func decode(_ raw: [UInt8]) -> String {
        // Servers with UTF8=ACCEPT (RFC 6855) send names as UTF-8, which never needs "&" shifts.
        if raw.contains(where: { $0 >= 0x80 }) { return String(decoding: raw, as: UTF8.self) }
        var result = ""
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "&") else {
                result.unicodeScalars.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            guard let end = raw[(index + 1)...].firstIndex(of: UInt8(ascii: "-")) else {
                result += String(decoding: raw[index...], as: UTF8.self)
                break
            }
            if end == index + 1 {
                result += "&"
            } else if let decoded = decodeBase64UTF16(raw[(index + 1)..<end]) {
                result += decoded
            } else {
                result += String(decoding: raw[index...end], as: UTF8.self)
            }
            index = end + 1
        }
        return result
    }

    private static func decodeBase64UTF16(_ chunk: ArraySlice<UInt8>) -> String? {
        var bits: UInt32 = 0
        var bitCount = 0
        var units: [UInt16] = []
        for byte in chunk {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - 48 + 52)
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: ","): value = 63
            default: return nil
            }
            bits = (bits << 6) | value
            bitCount += 6
            if bitCount >= 16 {
                bitCount -= 16
                units.append(UInt16(truncatingIfNeeded: bits >> UInt32(bitCount)))
            }
        }
        return String(decoding: units, as: UTF16.self)
    }
}
