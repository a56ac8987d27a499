import Testing
@testable import KithIMAPWire

/// Values a hostile server sends: each must end in a `WireError` that names it, never in a trap.
@Suite struct HostileValueTests {
    private func parse(_ text: String) throws(WireError) -> Response? {
        var parser = ResponseParser()
        parser.append(Array(text.utf8))
        return try parser.next()
    }

    private func expectWireError(_ text: String, mentioning value: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let response = try parse(text)
            Issue.record("parsed as \(String(describing: response))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description.contains(value), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aLiteralOfTwoToTheSixtyThirdInTheMiddleOfALine() {
        expectWireError("* 1 FETCH (UID 5 BODY[HEADER] {9223372036854775808}\r\nFrom: x\r\n INTERNALDATE \"x\")\r\n", mentioning: "9223372036854775808")
        expectWireError("* LIST () \"/\" {9223372036854775808}\r\nname x\r\n", mentioning: "9223372036854775808")
        expectWireError("* LIST () \"/\" {99999999999999999999999}\r\nname x\r\n", mentioning: "exceeds the limit")
    }

    @Test func literalAnnouncedAtTheLineEndBeyondTheLimit() {
        var parser = ResponseParser()
        parser.append(Array("* LIST () \"/\" {9223372036854775808}\r\n".utf8))
        #expect(throws: WireError.literalTooLarge(announced: 9_223_372_036_854_775_808, limit: ResponseParser.Options().maxLiteralSize)) { try parser.next() }
    }

    @Test func numbersOutOfTheirRange() {
        expectWireError("* OK [UIDNEXT 4294967296] x\r\n", mentioning: "UIDNEXT 4294967296")
        expectWireError("* OK [UIDVALIDITY 0] x\r\n", mentioning: "UIDVALIDITY 0")
        expectWireError("* 1 FETCH (UID 4294967296)\r\n", mentioning: "4294967296")
        expectWireError("* 4294967296 EXISTS\r\n", mentioning: "4294967296")
        expectWireError("* 1 FETCH (UID 3 RFC822.SIZE 18446744073709551615)\r\n", mentioning: "RFC822.SIZE")
        expectWireError("* 1 FETCH (UID 3 RFC822.SIZE 18446744073709551616)\r\n", mentioning: "18446744073709551616")
    }

    @Test func theLargestValidNumbersStillParse() throws {
        #expect(try parse("* OK [UIDNEXT 4294967295] x\r\n") == .untagged(.status(StatusResponse(kind: .ok, code: .uidNext(4_294_967_295), text: "x"))))
        guard case .untagged(.fetch(_, let attributes)) = try parse("* 1 FETCH (UID 0 RFC822.SIZE 9223372036854775807)\r\n") else {
            Issue.record("not a FETCH")
            return
        }
        // UID 0 parses (it is the harvest that ignores it); the largest number64 is a size.
        #expect(attributes.uid == 0 && attributes.size == 9_223_372_036_854_775_807)
    }

    @Test func mailboxLiteralsFollowTheServersLiteralCapability() {
        let name = Array("Écrits".utf8)
        let plus = Command.examine(mailbox: name).encodedSegments(tag: "k4", nonSynchronizingLimit: Command.nonSynchronizingLimit(capabilities: ["LITERAL+"]))
        #expect(plus == [Array("k4 EXAMINE {7+}\r\nÉcrits\r\n".utf8)])
        let minus = Command.examine(mailbox: name).encodedSegments(tag: "k4", nonSynchronizingLimit: Command.nonSynchronizingLimit(capabilities: ["LITERAL-"]))
        #expect(minus == plus, "LITERAL- takes up to 4096 bytes without waiting")
        let none = Command.examine(mailbox: name).encodedSegments(tag: "k4", nonSynchronizingLimit: Command.nonSynchronizingLimit(capabilities: []))
        #expect(none == [Array("k4 EXAMINE {7}\r\n".utf8), Array("Écrits\r\n".utf8)], "without LITERAL+ the literal waits for the server's +")
        let long = [UInt8](repeating: 0xC3, count: 5000)
        let big = Command.examine(mailbox: long).encodedSegments(tag: "k5", nonSynchronizingLimit: Command.nonSynchronizingLimit(capabilities: ["LITERAL-"]))
        #expect(big.count == 2 && big[0] == Array("k5 EXAMINE {5000}\r\n".utf8))
    }
}
