import PropertyBased
import Synchronization
import Testing
import KithTestSupport
@testable import KithMail

private func parse(_ text: String) -> [MailAddress] {
    AddressListParser.parse(Array(text.utf8))
}

@Suite struct AddressListParserTests {
    @Test func theLocalPartKeepsItsSpellingBesideTheLowercaseIdentity() {
        #expect(parse("Reply <Reply+AbC@Example.COM>").map(\.spelling) == ["Reply+AbC@example.com"])
        #expect(parse("Reply <Reply+AbC@Example.COM>").map(\.email) == ["reply+abc@example.com"])
        #expect(parse("ada@Example.ORG").map(\.spelling) == [nil], "a lowercase local part has no spelling of its own; domains are case-insensitive")
        #expect(parse("\"John Doe\"@example.com").map(\.spelling) == ["\"John Doe\"@example.com"])
    }

    @Test(arguments: [
        // (header value, expected "name|email" pairs, why it is a trap)
        ("Ada Lovelace <Ada@Example.ORG>", ["Ada Lovelace|ada@example.org"], "the domain and local part are lowercased"),
        ("\"Lovelace, Ada\" <ada@example.org>, bob@example.org", ["Lovelace, Ada|ada@example.org", "nil|bob@example.org"], "a comma inside quotes does not split"),
        ("Team: ada@example.org, Bob <bob@example.org>;, carol@example.org", ["nil|ada@example.org", "Bob|bob@example.org", "nil|carol@example.org"], "group members are addresses; the group name is not"),
        ("Undisclosed recipients:;", [], "an empty group holds nobody"),
        ("ada@example.org (Ada Lovelace)", ["Ada Lovelace|ada@example.org"], "a trailing comment serves as the name"),
        ("<@relay.example,@other.example:ada@example.org>", ["nil|ada@example.org"], "obs-route is dropped"),
        ("\"ada\\\"quote\" <ada@example.org>", ["ada\"quote|ada@example.org"], "escaped quote inside a quoted name"),
        ("=?UTF-8?Q?Andr=C3=A9_M=C3=BCller?= <andre@example.de>", ["André Müller|andre@example.de"], "RFC 2047 Q encoding"),
        ("=?UTF-8?Q?=C5=81ukasz?= =?UTF-8?Q?_=C5=BB=C3=B3=C5=82w?= <l@example.pl>", ["Łukasz Żółw|l@example.pl"], "whitespace between adjacent encoded words is dropped"),
        ("=?ISO-8859-1?Q?Jos=E9?= <jose@example.es>", ["José|jose@example.es"], "a legacy charset through iconv"),
        ("=?koi8-r?B?8NLJ18XU?= <p@example.ru>", ["Привет|p@example.ru"], "KOI8-R, base64"),
        ("=?UTF-8?Q?Evil=0D=0ABcc=3A_x=40y.example?= <ok@example.org>", ["Evil Bcc: x@y.example|ok@example.org"], "CR LF decoded inside a name is stripped and creates no address"),
        ("=?UTF-8?Q?Evil:_x@y.example?= <ok@example.org>", ["Evil: x@y.example|ok@example.org"], "specials left raw inside an encoded word do not split it"),
        ("ada@example.org,, ,bob@example.org,", ["nil|ada@example.org", "nil|bob@example.org"], "empty members and a trailing comma"),
        ("Ada <ada>", [], "an address without a domain is ignored"),
        ("<>", [], "the null address is ignored"),
        ("ada@example.org <ada@example.org>", ["nil|ada@example.org"], "a name that is just the address is no name"),
        ("John Q. Public <john@example.com>", ["John Q. Public|john@example.com"], "obs-phrase allows a dot"),
        ("\"John Doe\"@example.com", ["nil|\"john doe\"@example.com"], "a quoted local part stays quoted"),
        ("'Ada L' <ada@example.org>", ["Ada L|ada@example.org"], "stray single quotes around a name are dropped"),
        ("\"ADA@Example.org\" <Ada@EXAMPLE.org>", ["nil|ada@example.org"], "a name that is the address in other case is no name"),
        ("\"' Ada  L '\" <ada@example.org>", ["Ada L|ada@example.org"], "spaces inside stray quotes are trimmed"),
        ("Ada <Ada@xn--bcher-kva.example>", ["Ada|ada@bücher.example"], "an IDNA label in a plain list is read in Unicode"),
        ("Ada\r\n <ada@example\r\n .org>", ["Ada|ada@example.org"], "folding white space between the parts of an address (obs-domain)"),
        ("ada@exa mple.org", [], "two domain words without a dot are no address"),
        ("ada@[192.0.2.1]", ["nil|ada@[192.0.2.1]"], "a domain literal"),
        ("ada@[192.0.2.1", [], "an unclosed domain literal is no address"),
    ])
    func parsesAddressLists(value: String, expected: [String], why: String) {
        let got = parse(value).map { "\($0.name ?? "nil")|\($0.email)" }
        #expect(got == expected, "\(why)")
    }

    @Test func idnSpellingsOfOneDomainAreOneAddress() {
        let ascii = parse("Jörg <jorg@XN--BCHER-KVA.example>")
        let unicode = parse("Jörg <jorg@Bücher.example>")
        #expect(ascii.map(\.email) == ["jorg@bücher.example"])
        #expect(unicode.map(\.email) == ascii.map(\.email))
        #expect(Punycode.unicodeDomain("xn--mnchen-3ya.de") == "münchen.de")
        #expect(Punycode.unicodeDomain("mail.xn--fiqs8s.example") == "mail.中国.example")
        #expect(Punycode.unicodeDomain("xn--!!.example") == "xn--!!.example", "a malformed label stays as written")
    }

    @Test func rawUTF8AndLatin1BytesBothDecode() {
        let utf8 = AddressListParser.parse(Array("Zoë <zoe@example.org>".utf8))
        #expect(utf8.first?.name == "Zoë")
        let latin1: [UInt8] = [0x5A, 0x6F, 0xEB] + Array(" <zoe@example.org>".utf8)
        #expect(AddressListParser.parse(latin1).first?.name == "Zoë", "invalid UTF-8 falls back to windows-1252")
    }

    @Test func hostileInputIsBounded() {
        let many = (0..<30_000).map { "u\($0)@example.org" }.joined(separator: ", ")
        #expect(AddressListParser.parse(Array(many.utf8)).count == AddressListParser.maximumMembers)
        let unbalanced = "\"unterminated <a@example.org>, (comment <b@example.org>, [c@example.org"
        _ = AddressListParser.parse(Array(unbalanced.utf8))
        let nul: [UInt8] = Array("Ada".utf8) + [0] + Array(" <ada@example.org>".utf8)
        #expect(AddressListParser.parse(nul).map(\.email) == ["ada@example.org"])
    }

    @Test func neverReturnsAnAddressThatIsNotInTheInput() {
        var generator = SeededGenerator(seed: 42)
        let alphabet = Array("ab@.<>,;:\"()\\ =?Q_B[]x\r\n\t".utf8)
        for _ in 0..<50_000 {
            let bytes = (0..<Int.random(in: 0..<60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let lowered = String(String.UnicodeScalarView(String(decoding: bytes, as: UTF8.self).lowercased().unicodeScalars.filter { !" \r\n\t".unicodeScalars.contains($0) }))
            for address in AddressListParser.parse(bytes) {
                let local = address.localPart.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "\\", with: "")
                #expect(lowered.contains(address.domain.filter { !" ".contains($0) }), "domain of \(String(reflecting: address.email)) from \(String(reflecting: String(decoding: bytes, as: UTF8.self)))")
                #expect(!local.isEmpty)
            }
        }
    }
}

@Suite struct HeaderAndDateTests {
    @Test func unfoldsHeadersAndKeepsOrder() {
        let block = HeaderBlock(Array("From: a@example.org\r\nTo: b@example.org,\r\n\tc@example.org\r\nX-Odd\r\ncc: d@example.org\r\n\r\nBody: no\r\n".utf8))
        #expect(block.fields.map(\.name) == ["from", "to", "cc"])
        #expect(block.first("to").map { String(decoding: $0, as: UTF8.self) } == "b@example.org,\tc@example.org")
    }

    @Test(arguments: [
        ("Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T08:52:37Z"),
        ("1 Jul 03 10:52 EDT", "2003-07-01T14:52:00Z"),
        ("Thu, 13 Feb 1969 23:32:54 -0330", nil),
        ("17-Jul-1996 02:44:25 -0700", "1996-07-17T09:44:25Z"),
        ("Mon, 29 Feb 2016 23:59:60 +0000", "2016-03-01T00:00:00Z"),
        ("Fri, 21 Nov 1997 09:55:06 -0600 (CST)", "1997-11-21T15:55:06Z"),
        ("not a date", nil),
        ("Wed, 32 Jan 2020 10:00:00 +0000", nil),
    ] as [(String, String?)])
    func parsesDates(text: String, expected: String?) {
        #expect(MailDate.parse(text).map(MailDate.iso8601) == expected)
    }

    @Test func automatedRules() {
        #expect(AutomatedSender.hasNoReplyLocalPart("no-reply@example.org"))
        #expect(AutomatedSender.hasNoReplyLocalPart("bounces+123@example.org"))
        #expect(AutomatedSender.hasNoReplyLocalPart("MAILER-DAEMON@example.org"))
        #expect(!AutomatedSender.hasNoReplyLocalPart("norman@example.org"))
        #expect(AutomatedSender.hasNoReplyLocalPart("notifications-42@example.org"))
        #expect(AutomatedSender.hasNoReplyLocalPart("bounce_x.y@example.org"))
        #expect(AutomatedSender.hasNoReplyLocalPart("postmaster.relay@example.org"))
        #expect(!AutomatedSender.hasNoReplyLocalPart("postmasters@example.org"))
        #expect(AutomatedSender.isAutomated(HeaderBlock(Array("Auto-Submitted: auto-replied\r\n".utf8))))
        #expect(!AutomatedSender.isAutomated(HeaderBlock(Array("Auto-Submitted: no\r\n".utf8))))
        #expect(AutomatedSender.isAutomated(HeaderBlock(Array("Precedence: Bulk\r\n".utf8))))
        #expect(!AutomatedSender.isAutomated(HeaderBlock(Array("Precedence: first-class\r\n".utf8))))
        #expect(AutomatedSender.isAutomated(HeaderBlock(Array("List-Id: <x.example.org>\r\n".utf8))))
    }

    @Test func sha256MatchesTheStandardVector() {
        #expect(Digest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

/// The one-pass reader of plain lists must agree with the full grammar on every input, plain or not.
@Suite struct PlainListTests {
    static let nameByte = Array("abcXYZ019.'!#-_ ".utf8)
    static let localByte = Array("abcXYZ019.+_-=".utf8)
    static let domainLabels = ["example", "ACME", "xn--mller-kva", "b-2", "co"]
    static let noise = Array("<>@ .,\"=?\t()[]\\;:".utf8) + [0x80, 0xC3]

    @Test func theOnePassReaderAgreesWithTheFullGrammar() async {
        let name = Gen.element(of: Self.nameByte).map { $0! }.array(of: 0...14)
        let local = Gen.element(of: Self.localByte).map { $0! }.array(of: 1...10)
        let domain = Gen.element(of: Self.domainLabels).map { $0! }.array(of: 1...3).map { $0.joined(separator: ".") }
        let member = zip(name, local, domain, Gen.int(in: 0...7)).map { name, local, domain, shape -> [UInt8] in
            let address = local + Array("@\(domain)".utf8)
            switch shape {
            case 0: return address
            case 1: return name + Array(" <".utf8) + address + Array(">".utf8)
            case 2: return name + Array("<".utf8) + address + Array(">  ".utf8)
            case 3: return Array("\"".utf8) + name + Array(", <@>;:()[]\" <".utf8) + address + Array(">".utf8)
            case 4: return Array("=?UTF-8?Q?Andr=C3=A9?= ".utf8) + name + Array(" <".utf8) + address + Array(">".utf8)
            case 5: return Array("=?utf-8?b?w4ls?= =?ISO-8859-1?Q?Jos=E9_N=FA=F1ez?=<".utf8) + address + Array(">".utf8)
            case 6: return Array("=?utf-8?q?Doe,_John?= <".utf8) + address + Array(">, \"=?utf-8?q?x?=\" <".utf8) + address + Array(">".utf8)
            default: return Array("\t ".utf8) + address
            }
        }
        let separator = Gen.element(of: [", ", ",", " , ", ",,", ",\t"]).map { $0! }
        let mutation = zip(Gen.int(in: 0...9), Gen.int(in: 0...999), Gen.element(of: Self.noise).map { $0! })
        let plainCount = Mutex(0)
        await propertyCheck(count: 6_000, input: zip(member, separator).array(of: 1...5), mutation.array(of: 0...2)) { members, mutations in
            var value = members.enumerated().flatMap { index, pair in (index > 0 ? Array(pair.1.utf8) : []) + pair.0 }
            for (kind, position, byte) in mutations where kind < 3 && !value.isEmpty {
                value.insert(byte, at: position % value.count)
            }
            if AddressListParser.plainList(value) != nil { plainCount.withLock { $0 += 1 } }
            #expect(AddressListParser.parse(value) == AddressListParser.parseInFull(value), "\(String(decoding: value, as: UTF8.self))")
        }
        // About half the generated lists are plain (the rest exercise the hand-over to the full grammar).
        #expect(plainCount.withLock { $0 } > 2_000)
    }
}
