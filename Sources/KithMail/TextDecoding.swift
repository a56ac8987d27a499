import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns header bytes into text: UTF-8 when valid (RFC 6532), otherwise windows-1252, never dropping a byte.
public enum TextDecoding {
    public static func headerText(_ bytes: some Collection<UInt8>) -> String {
        if let ascii = bytes.withContiguousStorageIfAvailable({ $0.allSatisfy { $0 < 0x80 } ? String(decoding: $0, as: UTF8.self) : nil }),
           let text = ascii {
            return text
        }
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return windows1252(bytes)
    }

    /// Decodes `bytes` in `charset` (any name glibc's iconv knows), or nil when the charset is unknown or the bytes invalid.
    public static func decode(_ bytes: [UInt8], charset: String) -> String? {
        let name = encodingName(charset)
        switch name {
        case "utf-8":
            return String(validating: bytes, as: UTF8.self)
        case "windows-1252":
            return windows1252(bytes)
        default:
            return iconvDecode(bytes, from: name)
        }
    }

    /// The encoding a charset label means, as the WHATWG Encoding Standard maps labels (what browsers and
    /// mail clients do): us-ascii and iso-8859-1 are windows-1252, gb2312 is GB18030, ks_c_5601-1987 and
    /// euc-kr are windows-949, shift_jis is windows-31j, tis-620 is windows-874, iso-8859-9 windows-1254.
    /// Other labels go to iconv as written.
    public static func encodingName(_ label: String) -> String {
        var bytes = label.utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        // ASCII labels (all real ones) are lowercased as bytes; anything else as Unicode text.
        let name = bytes.allSatisfy { $0 < 0x80 }
            ? String(decoding: bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
            : String(Substring(bytes)).trimmingCharacters(in: .whitespaces).lowercased()
        return whatwgLabels[name] ?? name
    }

    private static let whatwgLabels: [String: String] = {
        var table: [String: String] = [:]
        let groups: [(String, [String])] = [
            ("utf-8", ["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]),
            ("windows-1252", ["us-ascii", "ascii", "ansi_x3.4-1968", "iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "latin1", "l1",
                              "cp819", "ibm819", "csisolatin1", "iso-ir-100", "windows-1252", "cp1252", "x-cp1252"]),
            ("GB18030", ["gb2312", "gbk", "chinese", "csgb2312", "csiso58gb231280", "gb_2312", "gb_2312-80", "iso-ir-58", "x-gbk", "gb18030"]),
            ("CP949", ["euc-kr", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601", "ksc_5601", "korean", "iso-ir-149", "csksc56011987",
                       "cseuckr", "windows-949"]),
            ("CP932", ["shift_jis", "shift-jis", "sjis", "ms_kanji", "ms932", "windows-31j", "x-sjis", "csshiftjis"]),
            ("CP874", ["tis-620", "iso-8859-11", "iso8859-11", "windows-874", "dos-874"]),
            ("CP1254", ["iso-8859-9", "iso8859-9", "latin5", "l5", "windows-1254", "cp1254"]),
            ("BIG5-HKSCS", ["big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"]),
            ("ISO-8859-8", ["iso-8859-8-i", "csiso88598i", "logical"]),
        ]
        for (encoding, labels) in groups { for label in labels { table[label] = encoding } }
        return table
    }()

    /// Whether text in `charset` is one byte per character in 0x00-0xFF (Latin-1-like): raw 8-bit bytes
    /// inside an encoded word of such a charset are that byte, not UTF-8.
    static func isSingleByteLatin(_ charset: String) -> Bool {
        encodingName(charset) == "windows-1252"
    }

    static func windows1252(_ bytes: some Collection<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if byte >= 0x80 && byte < 0xA0, let scalar = Unicode.Scalar(cp1252High[Int(byte - 0x80)]) {
                scalars.append(scalar)
            } else {
                scalars.append(Unicode.Scalar(byte))
            }
        }
        return String(scalars)
    }

    /// The windows-1252 byte of `scalar`, nil when it has none.
    static func windows1252Byte(_ scalar: Unicode.Scalar) -> UInt8? {
        if scalar.value < 0x80 || (scalar.value >= 0xA0 && scalar.value <= 0xFF) { return UInt8(scalar.value) }
        return cp1252High.firstIndex(of: scalar.value).map { UInt8(0x80 + $0) }
    }

    /// windows-1252 0x80-0x9F; the five undefined positions map to their C1 code points.
    private static let cp1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    private static func iconvDecode(_ bytes: [UInt8], from charset: String) -> String? {
        let converter = iconv_open("UTF-8", charset)
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count * 4 + 16)
        let produced: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer = UnsafeMutableRawPointer(inBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer = UnsafeMutableRawPointer(outBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                guard iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1 else { return nil }
                // Flush any shift state (ISO-2022-JP ends in ASCII mode).
                guard iconv(converter, nil, nil, &outPointer, &outLeft) != -1 else { return nil }
                return outBuffer.count - outLeft
            }
        }
        guard let produced else { return nil }
        return String(validating: output[0..<produced], as: UTF8.self)
    }
}
