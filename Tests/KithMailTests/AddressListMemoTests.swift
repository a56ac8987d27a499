import PropertyBased
import Testing
import KithArchive
@testable import KithHarvest

/// The extractor's memo of parsed address lists must never change what extraction returns.
@Suite struct AddressListMemoTests {
    static let values = [
        "Grace Hopper <grace@navy.example>", "me@example.org", "\"Hopper, Grace\" <Grace@Navy.example>",
        "=?UTF-8?B?SsO8cmdlbg==?= <j@x.example>", "Team: a@x.example, b@y.example;", "noreply@shop.example",
        "a@x.example, me@example.org, <<<c@z.example>>>", "Joe Bloggs joe@example.com", "", "not an address",
    ]
    static let fields = ["From", "To", "Cc", "Sender", "Reply-To", "Bcc"]

    static func fingerprint(_ message: ArchivedMessage) -> String {
        "\(message.identity)|\(message.direction)|\(message.automated)|"
            + message.correspondents.map { "\($0.role.rawValue):\($0.email):\($0.name ?? "-"):\($0.spelling ?? "-")" }.joined(separator: ",")
    }

    @Test func aSharedExtractorAgreesWithAFreshOneOnRepeatedValues() async {
        let field = zip(Gen.element(of: Self.fields).map { $0! }, Gen.element(of: Self.values).map { $0! })
        let shared = MessageExtractor(ownerAddresses: ["me@example.org"])
        await propertyCheck(count: 3_000, input: field.array(of: 1...6), Gen.int(in: 0...999)) { fields, number in
            let header = fields.map { "\($0): \($1)\r\n" }.joined() + "Message-ID: <\(number)@x>\r\n"
            let fresh = MessageExtractor(ownerAddresses: ["me@example.org"]).extract(headerBytes: Array(header.utf8))
            #expect(Self.fingerprint(shared.extract(headerBytes: Array(header.utf8))) == Self.fingerprint(fresh), "\(header)")
        }
        #expect(shared.memo.count <= Self.values.count)
        #expect(shared.memo.count > 1)
    }

    @Test func theMemoStaysBounded() {
        let extractor = MessageExtractor(ownerAddresses: [])
        for number in 0..<(AddressListMemo.capacity + 10) {
            let message = extractor.extract(headerBytes: Array("From: p\(number)@x.example\r\n".utf8))
            #expect(message.correspondents.map(\.email) == ["p\(number)@x.example"])
        }
        #expect(extractor.memo.count <= AddressListMemo.capacity)
        // A value in use survives the turn of generations.
        let kept = Array("From: kept@x.example\r\n".utf8)
        _ = extractor.extract(headerBytes: kept)
        for number in 0..<AddressListMemo.capacity {
            _ = extractor.extract(headerBytes: Array("From: q\(number)@x.example\r\n".utf8))
            if number % 1_000 == 0 { _ = extractor.extract(headerBytes: kept) }
        }
        func remembered(_ value: String) -> Bool {
            [extractor.memo.newer, extractor.memo.older].contains { $0.keys.contains(.init(bytes: Array(value.utf8))) }
        }
        #expect(remembered("kept@x.example"))
        #expect(!remembered("q1@x.example"))
        let long = "To: " + (0..<100).map { "person\($0)@x.example" }.joined(separator: ", ")
        #expect(extractor.extract(headerBytes: Array(long.utf8)).correspondents.count == 100)
        #expect(![extractor.memo.newer, extractor.memo.older].contains { $0.keys.contains { $0.bytes.count > AddressListMemo.maximumValueBytes } })
    }
}
