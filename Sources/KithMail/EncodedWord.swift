/// RFC 2047 encoded words (`=?charset?Q|B?text?=`) in display names, with the RFC 2231 language suffix.
public enum EncodedWord {
    /// Decodes one encoded word, or nil when `word` is not a well-formed one (the caller keeps it as raw text).
    public static func decode(_ word: Substring) -> String? {
        guard let piece = piece(word) else { return nil }
        return TextDecoding.decode(piece.bytes, charset: piece.charset)
    }

    /// Decodes every encoded word in a phrase; whitespace between two adjacent encoded words is dropped (RFC 2047 section 6.2).
    ///
    /// Adjacent words in one charset are joined as bytes before decoding, so a character split across two
    /// words (as many mailers split UTF-8) comes out whole.
    public static func decodePhrase(_ words: [String]) -> String {
        var result = ""
        var run: [Piece] = []
        func flushRun() {
            guard !run.isEmpty else { return }
            if !result.isEmpty { result += " " }
            result += decodeRun(run)
            run.removeAll()
        }
        for word in words {
            if containsEncodedWordStart(word), let pieces = pieces(of: word) {
                run += pieces
            } else {
                flushRun()
                if !result.isEmpty { result += " " }
                result += word
            }
        }
        flushRun()
        return result
    }

    /// An encoded word's charset (without RFC 2231 language) and decoded bytes.
    private struct Piece {
        var charset: String
        var bytes: [UInt8]
        var raw: Substring
    }

    private static func piece(_ word: Substring) -> Piece? {
        // On the UTF-8 bytes: "=?", "?" and "?=" are ASCII, never part of another character's bytes.
        let bytes = Array(word.utf8)
        let question = UInt8(ascii: "?"), equals = UInt8(ascii: "=")
        guard bytes.count >= 8, bytes[0] == equals, bytes[1] == question, bytes[bytes.count - 2] == question, bytes[bytes.count - 1] == equals
        else { return nil }
        let inner = bytes[2..<(bytes.count - 2)]
        guard let first = inner.firstIndex(of: question), let second = inner[(first + 1)...].firstIndex(of: question) else { return nil }
        var charsetBytes = inner[..<first]
        if let star = charsetBytes.firstIndex(of: UInt8(ascii: "*")) { charsetBytes = charsetBytes[..<star] }
        guard !charsetBytes.isEmpty else { return nil }
        let charset = String(decoding: charsetBytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
        let encoding = inner[(first + 1)..<second]
        let encoded = inner[(second + 1)...]
        let text: [UInt8]
        if encoded.allSatisfy({ $0 < 0x80 }) {
            text = Array(encoded)
        } else {
            // Raw 8-bit bytes inside an encoded word were decoded with the header (as UTF-8 or windows-1252);
            // they belong to the word's own charset: for a Latin-1-like charset each is one byte again.
            let latin = TextDecoding.isSingleByteLatin(charset)
            var decoded: [UInt8] = []
            for scalar in String(decoding: encoded, as: UTF8.self).unicodeScalars {
                if scalar.value < 0x80 {
                    decoded.append(UInt8(scalar.value))
                } else if latin, let byte = TextDecoding.windows1252Byte(scalar) {
                    decoded.append(byte)
                } else {
                    decoded += Array(String(scalar).utf8)
                }
            }
            text = decoded
        }
        let decodedBytes: [UInt8]?
        switch encoding.count == 1 ? encoding[encoding.startIndex] | 0x20 : 0 {
        case UInt8(ascii: "q"): decodedBytes = quotedPrintable(text)
        case UInt8(ascii: "b"): decodedBytes = base64(text)
        default: decodedBytes = nil
        }
        guard let decodedBytes else { return nil }
        return Piece(charset: charset, bytes: decodedBytes, raw: word)
    }

    /// Joins same-charset neighbours as bytes; a group that does not decode is kept as its raw words.
    private static func decodeRun(_ run: [Piece]) -> String {
        var result = ""
        var index = 0
        while index < run.count {
            var end = index + 1
            var bytes = run[index].bytes
            while end < run.count, run[end].charset == run[index].charset {
                bytes += run[end].bytes
                end += 1
            }
            if let text = TextDecoding.decode(bytes, charset: run[index].charset) {
                result += text
            } else {
                result += run[index..<end].map { TextDecoding.decode($0.bytes, charset: $0.charset) ?? String($0.raw) }.joined()
            }
            index = end
        }
        return result
    }

    private static func containsEncodedWordStart(_ word: String) -> Bool {
        var previous: UInt8 = 0
        for byte in word.utf8 {
            if previous == UInt8(ascii: "="), byte == UInt8(ascii: "?") { return true }
            previous = byte
        }
        return false
    }

    /// The pieces of a word that is one encoded word or several glued together; nil if any part is malformed.
    private static func pieces(of word: String) -> [Piece]? {
        if let whole = piece(word[...]) { return [whole] }
        var result: [Piece] = []
        var rest = word[...]
        while !rest.isEmpty {
            guard rest.hasPrefix("=?"), let end = endOfEncodedWord(rest), let piece = piece(rest[..<end]) else { return nil }
            result.append(piece)
            rest = rest[end...]
        }
        return result
    }

    private static func endOfEncodedWord(_ text: Substring) -> Substring.Index? {
        var questionMarks = 0
        var index = text.index(text.startIndex, offsetBy: 2)
        while index < text.endIndex {
            if text[index] == "?" {
                questionMarks += 1
                let next = text.index(after: index)
                if questionMarks >= 3, next < text.endIndex, text[next] == "=" { return text.index(after: next) }
            }
            index = text.index(after: index)
        }
        return nil
    }

    private static func quotedPrintable(_ text: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "=") {
                guard index + 2 < text.count, let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2]) else { return nil }
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - 48
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - 55
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - 87
        default: nil
        }
    }

    private static func base64(_ text: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var bits: UInt32 = 0
        var bitCount = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - 71)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte) + 4
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            bits = (bits << 6) | value
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(bitCount)))
            }
        }
        return out
    }
}
