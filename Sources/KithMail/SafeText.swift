/// Text from servers and mail made safe for a terminal, a log line or journald: C0 and C1 controls,
/// DEL, and the bidi controls U+202A–U+202E and U+2066–U+2069 are written as visible JSON-style escapes
/// (`\n`, `\u001b`, `\u202e`), so nothing can move the cursor, recolour a terminal, reorder what is
/// shown or forge a second log record.
public enum SafeText {
    /// One line: line breaks are escaped too (U+2028, U+2029 and NEL as well).
    public static func line(_ text: String) -> String {
        escape(text, keepingLineBreaks: false)
    }

    /// Several lines: `\n` (and a CR right before it) stay line breaks, everything else is escaped.
    public static func lines(_ text: String) -> String {
        escape(text, keepingLineBreaks: true)
    }

    /// Whether `scalar` must not reach a terminal raw.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x08, 0x0A...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }

    private static func escape(_ text: String, keepingLineBreaks: Bool) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if keepingLineBreaks {
                if scalar == "\n" || (scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n") {
                    out.append(scalar)
                    continue
                }
            }
            guard isUnsafe(scalar) else {
                out.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            default:
                let hex = String(scalar.value, radix: 16)
                escaped = "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }
}
