import Foundation
import PropertyBased
import Testing
import KithArchive
import KithHarvest
import KithMail

/// Property-based checks of extraction: random bytes, mutated real headers, and generated address lists read back.
@Suite struct ExtractionPropertyTests {
    /// Bytes that matter to the grammar, plus high bytes, NUL and the pieces of encoded words.
    static let headerAlphabet: [UInt8] = Array("ab@.<>,;:\"()\\ =?QqBb_[]x\r\n\t-".utf8) + [0x00, 0x07, 0x80, 0xC3, 0xA9, 0xE9, 0xFF]

    /// Whether the labels of `email`'s domain occur in `input` in order, ignoring case, whitespace and control
    /// bytes (folding, comments and obs-domain spacing may separate them), with `xn--` labels read as Unicode.
    static func domainOccurs(_ email: String, in input: [UInt8]) -> Bool {
        let literal = email.hasSuffix("]") ? email.range(of: "@[", options: .backwards)?.lowerBound : nil
        guard let at = literal ?? email.lastIndex(of: "@") else { return false }
        let labels = email[email.index(after: at)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func squeezed(_ text: String) -> String {
            String(String.UnicodeScalarView(text.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace && $0.value >= 0x20 }))
        }
        func inOrder(_ text: String) -> Bool {
            var rest = text[...]
            for label in labels {
                guard let found = rest.range(of: label) else { return false }
                rest = rest[found.upperBound...]
            }
            return true
        }
        // Bytes that are not UTF-8 are read as windows-1252, as the extractor does.
        for text in [String(decoding: input, as: UTF8.self), TextDecoding.headerText(input)] {
            if inOrder(squeezed(text)) || inOrder(squeezed(withUnicodeLabels(text.lowercased()))) { return true }
        }
        return false
    }

    /// `text` with every `xn--` label replaced by its Unicode form.
    static func withUnicodeLabels(_ text: String) -> String {
        var result = ""
        var rest = text[...]
        while let start = rest.range(of: "xn--") {
            result += rest[..<start.lowerBound]
            let label = rest[start.lowerBound...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            result += Punycode.unicodeDomain(String(label))
            rest = rest[label.endIndex...]
        }
        return result + rest
    }

    static func extract(_ bytes: [UInt8]) -> ArchivedMessageView {
        ArchivedMessageView(MessageExtractor(ownerAddresses: ["me@example.org"]).extract(headerBytes: bytes))
    }

    @Test func randomFieldValuesNeverYieldAnAddressNotInTheInput() async {
        let value = Gen.element(of: Self.headerAlphabet).map { $0! }.array(of: 0...120)
        let field = Gen.element(of: ["From: ", "To: ", "Cc: ", "Bcc: ", "Reply-To: ", "Sender: "]).map { $0! }
        await propertyCheck(count: 20_000, input: field, value) { field, value in
            let bytes = Array(field.utf8) + value + Array("\r\n".utf8)
            for correspondent in Self.extract(bytes).correspondents {
                #expect(Self.domainOccurs(correspondent.email, in: bytes), "\(correspondent.email) from \(bytes)")
                #expect(!correspondent.email.hasPrefix("@"))
                #expect(correspondent.name?.unicodeScalars.contains { $0.value < 0x20 } != true)
            }
        }
    }

    @Test func mutatedCorpusHeadersNeverCrashOrInventAddresses() async throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Corpus")
        let headers = try FileManager.default.subpathsOfDirectory(atPath: corpus.path).filter { $0.hasSuffix(".eml") }.sorted()
            .map { try Data(contentsOf: corpus.appendingPathComponent($0)) }.map { [UInt8]($0) }.filter { $0.count < 10_000 }
        #expect(headers.count > 100)
        let mutation = zip(Gen.int(in: 0...2), Gen.int(in: 0...9_999), Gen.element(of: Self.headerAlphabet).map { $0! })
        await propertyCheck(count: 5_000, input: Gen.element(of: headers).map { $0! }, mutation.array(of: 1...8)) { original, mutations in
            var bytes = original
            for (kind, position, byte) in mutations where !bytes.isEmpty {
                let index = position % bytes.count
                switch kind {
                case 0: bytes.insert(byte, at: index)
                case 1: bytes.remove(at: index)
                default: bytes[index] = byte
                }
            }
            for correspondent in Self.extract(bytes).correspondents {
                #expect(Self.domainOccurs(correspondent.email, in: bytes), "\(correspondent.email)")
            }
        }
    }

    /// A generated mailbox, written in one of the spellings real clients use.
    struct Written: Sendable, CustomStringConvertible {
        var name: String
        var local: String
        var domain: String
        var style: Int

        var email: String { "\(local)@\(domain)" }
        var text: String {
            switch style {
            case 0: "\(name) <\(email)>"
            case 1: "\"\(name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\" <\(email)>"
            case 2: "=?UTF-8?B?\(Data(name.utf8).base64EncodedString())?= <\(email)>"
            default: "\(email) (\(name.replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "")))"
            }
        }
        var description: String { text }
    }

    /// The documented name rules: surrounding quotes of either kind dropped, spaces folded and trimmed, empty is no name.
    static func expectedName(_ written: String) -> String? {
        var name = written
        if name.count >= 2, let first = name.first, first == name.last, first == "\"" || first == "'" { name = String(name.dropFirst().dropLast()) }
        let folded = name.split(separator: " ").joined(separator: " ")
        return folded.isEmpty ? nil : folded
    }

    @Test func generatedAddressListsReadBackExactly() async {
        let word = Gen.element(of: Array("abcdefghijklmnopqrstuvwxyzéüß李".map { $0 })).map { $0! }.string(of: 1...8)
        let phraseWord = Gen.element(of: Array("abcdefghijklmnopqrstuvwxyz,;:<>@.\"".map { $0 })).map { $0! }.string(of: 1...8)
        let name = word.array(of: 1...3).map { $0.joined(separator: " ") }
        let specialName = phraseWord.array(of: 1...3).map { $0.joined(separator: " ") }
        let atom = Gen.element(of: Array("abcdefghijklmnopqrstuvwxyz0123456789".map { $0 })).map { $0! }.string(of: 1...10)
        let domain = atom.array(of: 2...3).map { $0.joined(separator: ".") }
        let mailbox = zip(name, specialName, atom, domain, Gen.int(in: 0...3)).map { plain, special, local, domain, style in
            Written(name: style == 1 || style == 2 ? special : plain, local: local, domain: domain, style: style)
        }
        await propertyCheck(count: 3_000, input: mailbox.array(of: 1...6)) { mailboxes in
            let field = "To: " + mailboxes.map(\.text).joined(separator: ",\r\n ") + "\r\nFrom: me@example.org\r\n"
            let parsed = Self.extract(Array(field.utf8)).correspondents
            var expected: [String] = []
            for mailbox in mailboxes where !expected.contains(mailbox.email) { expected.append(mailbox.email) }
            #expect(parsed.map(\.email) == expected, "\(field)")
            for mailbox in mailboxes {
                guard let found = parsed.first(where: { $0.email == mailbox.email }), found.email == mailbox.email,
                      mailboxes.first(where: { $0.email == mailbox.email })?.text == mailbox.text else { continue }
                let written = mailbox.style == 3 ? mailbox.name.replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "") : mailbox.name
                #expect(found.name == Self.expectedName(written), "\(field)")
            }
        }
    }
}

/// The parts of an extraction result the properties look at.
struct ArchivedMessageView {
    struct Entry { var email: String; var name: String? }
    var correspondents: [Entry]

    init(_ message: ArchivedMessage) {
        correspondents = message.correspondents.map { Entry(email: $0.email, name: $0.name) }
    }
}
