/// Decodes IDNA `xn--` labels (RFC 3492 Punycode) so that the ASCII and Unicode spellings of one
/// domain are one address. Labels that do not decode stay as they are.
public enum Punycode {
    /// `xn--bcher-kva.example` -> `bücher.example`.
    public static func unicodeDomain(_ domain: String) -> String {
        guard containsACELabel(domain) else { return domain }
        return domain.split(separator: ".", omittingEmptySubsequences: false).map { label in
            guard label.hasPrefix("xn--"), let decoded = decode(label.dropFirst(4)) else { return String(label) }
            return decoded
        }.joined(separator: ".")
    }

    /// Whether `xn--` occurs (a byte scan: this runs for every address).
    private static func containsACELabel(_ domain: String) -> Bool {
        var matched = 0
        let pattern: [UInt8] = Array("xn--".utf8)
        for byte in domain.utf8 {
            matched = byte == pattern[matched] ? matched + 1 : (byte == pattern[0] ? 1 : 0)
            if matched == pattern.count { return true }
        }
        return false
    }

    /// The Unicode text of one label's Punycode part, or nil when it is malformed.
    static func decode(_ input: Substring) -> String? {
        let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700
        // IDNA labels are letters, digits and hyphens (RFC 5890); anything else is not an A-label.
        guard !input.isEmpty, input.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }) else {
            return nil
        }
        var output: [Unicode.Scalar] = []
        var basicEnd = input.startIndex
        if let delimiter = input.lastIndex(of: "-") {
            for character in input[..<delimiter] {
                guard let scalar = character.unicodeScalars.first, scalar.isASCII else { return nil }
                output.append(scalar)
            }
            basicEnd = input.index(after: delimiter)
        }
        var n = 128, i = 0, bias = 72
        var position = basicEnd
        while position < input.endIndex {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard position < input.endIndex, let digit = digitValue(input[position]) else { return nil }
                position = input.index(after: position)
                guard digit <= (Int.max - i) / w else { return nil }
                i += digit * w
                let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if digit < t { break }
                guard w <= Int.max / (base - t) else { return nil }
                w *= base - t
                k += base
            }
            // Bias adaptation (RFC 3492 section 6.1).
            var delta = oldI == 0 ? (i - oldI) / damp : (i - oldI) / 2
            delta += delta / (output.count + 1)
            var shift = 0
            while delta > ((base - tMin) * tMax) / 2 {
                delta /= base - tMin
                shift += base
            }
            bias = shift + (base - tMin + 1) * delta / (delta + skew)
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n < 0x110000, let scalar = Unicode.Scalar(UInt32(n)) else { return nil }
            output.insert(scalar, at: i)
            i += 1
        }
        guard !output.isEmpty else { return nil }
        return String(String.UnicodeScalarView(output)).lowercased()
    }

    private static func digitValue(_ character: Character) -> Int? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case 48...57: return Int(ascii) - 22
        case 65...90: return Int(ascii) - 65
        case 97...122: return Int(ascii) - 97
        default: return nil
        }
    }
}
