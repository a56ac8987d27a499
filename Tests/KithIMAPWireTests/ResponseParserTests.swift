import Testing
import KithTestSupport
@testable import KithIMAPWire

/// A session as Dovecot 2.3 answers kith's pipelined commands: capability, LIST, EXAMINE and a header FETCH.
let dovecotTranscript: [UInt8] = Array((
    "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT LITERAL+ SPECIAL-USE\r\n"
    + "a1 OK Capability completed (0.001 + 0.000 secs).\r\n"
    + "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
    + "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n"
    + "* LIST (\\HasNoChildren) \"/\" {14}\r\nSent \"Items\"\\x\r\n"
    + "* LIST (\\Noselect \\HasChildren) NIL \"&AMk-quipe\"\r\n"
    + "a2 OK List completed (0.001 + 0.000 secs).\r\n"
    + "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    + "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n"
    + "* 3 EXISTS\r\n"
    + "* 0 RECENT\r\n"
    + "* OK [UIDVALIDITY 1700000000] UIDs valid\r\n"
    + "* OK [UIDNEXT 4] Predicted next UID\r\n"
    + "a3 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\r\n"
    + "* 1 FETCH (UID 1 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" BODY[HEADER.FIELDS (FROM TO)] {51}\r\n"
    + "From: Ada <ada@example.org>\r\nTo: me@example.com\r\n\r\n)\r\n"
    + "* 2 FETCH (UID 2 BODY[HEADER.FIELDS (FROM TO)] ~{3}\r\n\r\nx INTERNALDATE \"01-Jan-2020 00:00:00 +0000\")\r\n"
    + "* 3 FETCH (UID 3 FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM TO)] NIL)\r\n"
    + "a4 OK Fetch completed (0.001 + 0.000 secs).\r\n"
    + "* BYE Logging out\r\n"
    + "a5 OK Logout completed.\r\n"
).utf8)

func parseAll(_ bytes: [UInt8], chunkSizes: some IteratorProtocol<Int>, options: ResponseParser.Options = .init()) throws -> [Response] {
    var sizes = chunkSizes
    var parser = ResponseParser(options: options)
    var responses: [Response] = []
    var offset = 0
    while offset < bytes.count {
        let size = min(max(1, sizes.next() ?? 1), bytes.count - offset)
        parser.append(bytes[offset..<offset + size])
        offset += size
        while let response = try parser.next() { responses.append(response) }
    }
    #expect(parser.bufferedByteCount == 0)
    return responses
}

struct FixedChunks: IteratorProtocol {
    let size: Int
    mutating func next() -> Int? { size }
}

struct RandomChunks: IteratorProtocol {
    var generator: SeededGenerator
    let maximum: Int
    mutating func next() -> Int? { Int(generator.next() % UInt64(maximum)) + 1 }
}

@Suite struct ResponseParserTests {
    @Test func decodesTheWholeTranscript() throws {
        let responses = try parseAll(dovecotTranscript, chunkSizes: FixedChunks(size: dovecotTranscript.count))
        #expect(responses.count == 20)
        #expect(responses[0] == .untagged(.capability(["IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "SORT", "LITERAL+", "SPECIAL-USE"])))
        #expect(responses[1] == .tagged(tag: "a1", status: StatusResponse(kind: .ok, text: "Capability completed (0.001 + 0.000 secs).")))
        #expect(responses[3] == .untagged(.list(ListEntry(attributes: ["\\HasNoChildren", "\\Junk"], delimiter: UInt8(ascii: "/"), name: Array("Junk".utf8)))))
        #expect(responses[4] == .untagged(.list(ListEntry(attributes: ["\\HasNoChildren"], delimiter: UInt8(ascii: "/"), name: Array("Sent \"Items\"\\x".utf8)))))
        #expect(responses[5] == .untagged(.list(ListEntry(attributes: ["\\Noselect", "\\HasChildren"], delimiter: nil, name: Array("&AMk-quipe".utf8)))))
        #expect(responses[8] == .untagged(.status(StatusResponse(kind: .ok, code: .other(name: "PERMANENTFLAGS", arguments: "()"), text: "Read-only mailbox."))))
        #expect(responses[9] == .untagged(.exists(3)))
        #expect(responses[11] == .untagged(.status(StatusResponse(kind: .ok, code: .uidValidity(1_700_000_000), text: "UIDs valid"))))
        #expect(responses[12] == .untagged(.status(StatusResponse(kind: .ok, code: .uidNext(4), text: "Predicted next UID"))))
        #expect(responses[13] == .tagged(tag: "a3", status: StatusResponse(kind: .ok, code: .readOnly, text: "Examine completed (0.001 + 0.000 secs).")))
        let header = Array("From: Ada <ada@example.org>\r\nTo: me@example.com\r\n\r\n".utf8)
        #expect(responses[14] == .untagged(.fetch(sequence: 1, FetchAttributes(
            uid: 1, internalDate: "17-Jul-1996 02:44:25 -0700",
            bodySections: [BodySection(section: "HEADER.FIELDS (FROM TO)", data: header)]))))
        #expect(responses[15] == .untagged(.fetch(sequence: 2, FetchAttributes(
            uid: 2, internalDate: "01-Jan-2020 00:00:00 +0000",
            bodySections: [BodySection(section: "HEADER.FIELDS (FROM TO)", data: [0x0D, 0x0A, 0x78])]))))
        #expect(responses[16] == .untagged(.fetch(sequence: 3, FetchAttributes(
            uid: 3, flags: ["\\Seen"], bodySections: [BodySection(section: "HEADER.FIELDS (FROM TO)", data: nil)]))))
        #expect(responses[18] == .untagged(.status(StatusResponse(kind: .bye, text: "Logging out"))))
    }

    @Test func draftsAndHeaderSectionsAreFoundIgnoringCase() {
        let draft = FetchAttributes(flags: ["\\Seen", "\\dRaFt"], bodySections: [
            BodySection(section: "TEXT", data: [1]), BodySection(section: "header.fields (FROM)", data: [2]), BodySection(section: "HEADER", data: [3]),
        ])
        #expect(draft.isDraft)
        #expect(draft.headerBytes == [2])
        let plain = FetchAttributes(flags: ["\\Seen", "\\Drafts"], bodySections: [BodySection(section: "HEAD", data: [1])])
        #expect(!plain.isDraft)
        #expect(plain.headerBytes == nil)
    }

    @Test func byteByByteEqualsWhole() throws {
        let whole = try parseAll(dovecotTranscript, chunkSizes: FixedChunks(size: dovecotTranscript.count))
        let single = try parseAll(dovecotTranscript, chunkSizes: FixedChunks(size: 1))
        #expect(single == whole)
    }

    @Test(arguments: 0..<200)
    func randomChunksEqualWhole(seed: Int) throws {
        let whole = try parseAll(dovecotTranscript, chunkSizes: FixedChunks(size: dovecotTranscript.count))
        let chunked = try parseAll(dovecotTranscript, chunkSizes: RandomChunks(generator: SeededGenerator(seed: UInt64(seed)), maximum: 1 + seed % 97))
        #expect(chunked == whole, "seed \(seed)")
    }

    @Test func crAtEndOfOneReadAndLfAtStartOfNext() throws {
        var parser = ResponseParser()
        parser.append(Array("a1 OK done\r".utf8))
        #expect(try parser.next() == nil)
        parser.append([0x0A])
        #expect(try parser.next() == .tagged(tag: "a1", status: StatusResponse(kind: .ok, text: "done")))
    }

    /// Exchange ends untagged STATUS with a space; names come quoted, as atoms or as literals.
    @Test func statusRepliesWithTrailingSpacesAndAnyNameForm() throws {
        var parser = ResponseParser()
        parser.append(Array(("* STATUS \"Gesendete Elemente\" (MESSAGES 12 UIDNEXT 480 UIDVALIDITY 14) \r\n"
                             + "* STATUS INBOX (UIDNEXT 9 MESSAGES 0 UIDVALIDITY 1 HIGHESTMODSEQ 77)\r\n"
                             + "* STATUS {5}\r\nA)B C (UIDVALIDITY 3)\r\n"
                             + "* STATUS X (UIDNEXT 4294967296)\r\n").utf8))
        #expect(try parser.next() == .untagged(.mailboxStatus(MailboxStatusData(name: Array("Gesendete Elemente".utf8), uidNext: 480, uidValidity: 14, messages: 12))))
        #expect(try parser.next() == .untagged(.mailboxStatus(MailboxStatusData(name: Array("INBOX".utf8), uidNext: 9, uidValidity: 1, messages: 0))))
        #expect(try parser.next() == .untagged(.mailboxStatus(MailboxStatusData(name: Array("A)B C".utf8), uidValidity: 3))))
        #expect(throws: WireError.self) { try parser.next() }
    }

    @Test func literalThatLooksLikeALineEndIsData() throws {
        // The literal holds "x\r\na2 OK fake\r\n": framing must count bytes, not look for CRLF.
        let bytes = Array("* 1 FETCH (UID 9 BODY[] {17}\r\nx\r\na2 OK fake\r\n\r\n)\r\na2 OK real\r\n".utf8)
        let responses = try parseAll(bytes, chunkSizes: FixedChunks(size: 3))
        #expect(responses.count == 2)
        #expect(responses[0] == .untagged(.fetch(sequence: 1, FetchAttributes(uid: 9, bodySections: [BodySection(section: "", data: Array("x\r\na2 OK fake\r\n\r\n".utf8))]))))
        #expect(responses[1] == .tagged(tag: "a2", status: StatusResponse(kind: .ok, text: "real")))
    }

    @Test func unknownResponsesWithLiteralsAreSkippedWhole() throws {
        let bytes = Array("* XFOO (a {3}\r\n)\r\n b)\r\n* 4 XBAR\r\na1 OK fine\r\n".utf8)
        let responses = try parseAll(bytes, chunkSizes: FixedChunks(size: 2))
        #expect(responses.count == 3)
        guard case .untagged(.other(name: "XFOO", _)) = responses[0] else { Issue.record("got \(responses[0])"); return }
        #expect(responses[1] == .untagged(.other(name: "XBAR", line: "")))
        #expect(responses[2] == .tagged(tag: "a1", status: StatusResponse(kind: .ok, text: "fine")))
    }

    @Test func continuationRequest() throws {
        var parser = ResponseParser()
        parser.append(Array("+ Ready for literal data\r\n".utf8))
        #expect(try parser.next() == .continuation(text: "Ready for literal data"))
    }

    @Test func noAndBadCarryTheirCodes() throws {
        var parser = ResponseParser()
        parser.append(Array("a7 NO [NONEXISTENT] Mailbox doesn't exist: Gone\r\na8 BAD Error in IMAP command\r\n".utf8))
        #expect(try parser.next() == .tagged(tag: "a7", status: StatusResponse(kind: .no, code: .other(name: "NONEXISTENT", arguments: nil), text: "Mailbox doesn't exist: Gone")))
        #expect(try parser.next() == .tagged(tag: "a8", status: StatusResponse(kind: .bad, text: "Error in IMAP command")))
    }

    @Test func oversizedLiteralIsRefusedBeforeAnyAllocation() throws {
        var parser = ResponseParser(options: .init(maxLiteralSize: 1 << 20))
        parser.append(Array("* 1 FETCH (UID 1 BODY[HEADER] {10737418240}\r\n".utf8))
        #expect(throws: WireError.literalTooLarge(announced: 10_737_418_240, limit: 1 << 20)) { try parser.next() }
    }

    @Test func endlessLineIsRefused() throws {
        var parser = ResponseParser(options: .init(maxLineLength: 1000))
        parser.append([UInt8](repeating: UInt8(ascii: "x"), count: 600))
        #expect(try parser.next() == nil)
        parser.append([UInt8](repeating: UInt8(ascii: "x"), count: 600))
        #expect(throws: WireError.lineTooLong(limit: 1000)) { try parser.next() }
    }

    @Test func deepNestingIsRefused() throws {
        var parser = ResponseParser(options: .init(maxNestingDepth: 8))
        parser.append(Array(("* 1 FETCH (UID 1 BODYSTRUCTURE " + String(repeating: "(", count: 50) + String(repeating: ")", count: 50) + ")\r\n").utf8))
        #expect(throws: WireError.nestingTooDeep(limit: 8)) { try parser.next() }
    }

    @Test(arguments: [
        "a1 MAYBE done\r\n",
        "* 1 FETCH (UID x)\r\n",
        "* LIST (\\X) \"//\" INBOX\r\n",
        "* 1 FETCH (UID 1 BODY[] \"unterminated)\r\n",
        "* 1 FETCH (UID 1\r\n",
        "* OK [UIDVALIDITY abc] nope\r\n",
    ])
    func malformedResponsesAreErrors(text: String) throws {
        var parser = ResponseParser()
        parser.append(Array(text.utf8))
        #expect(throws: WireError.self) { try parser.next() }
    }
}

@Suite struct CommandTests {
    @Test func encodesReadOnlyCommands() {
        #expect(Command.examine(mailbox: Array("Sent \"Items\"".utf8)).encoded(tag: "k3") == Array("k3 EXAMINE \"Sent \\\"Items\\\"\"\r\n".utf8))
        #expect(Command.list(pattern: "*", returnSpecialUse: true).encoded(tag: "k1") == Array("k1 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n".utf8))
        #expect(Command.uidFetch(first: 5, last: 9, items: "UID FLAGS").encoded(tag: "k2") == Array("k2 UID FETCH 5:9 (UID FLAGS)\r\n".utf8))
        #expect(Command.examine(mailbox: Array("Écrits".utf8)).encoded(tag: "k4") == Array("k4 EXAMINE {7+}\r\nÉcrits\r\n".utf8))
    }

    @Test func decodesModifiedUTF7() {
        #expect(ModifiedUTF7.decode(Array("&AMk-quipe".utf8)) == "Équipe")
        #expect(ModifiedUTF7.decode(Array("Tom &- Jerry".utf8)) == "Tom & Jerry")
        #expect(ModifiedUTF7.decode(Array("~peter/mail/&U,BTFw-/&ZeVnLIqe-".utf8)) == "~peter/mail/台北/日本語")
    }
}
