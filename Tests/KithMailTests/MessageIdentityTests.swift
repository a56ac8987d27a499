import Testing
import KithHarvest

/// How a message is recognised as the same message in another folder, and told apart from another one.
@Suite struct MessageIdentityTests {
    let extractor = MessageExtractor(ownerAddresses: ["me@example.org"])

    func identity(_ headers: String, arrived: String) -> String {
        extractor.extract(headerBytes: Array(headers.utf8), uid: 1, internalDate: arrived).identity
    }

    @Test func messageIDWinsOverEverythingElse() {
        let headers = "From: a@x.example\r\nMessage-ID: < m1@x.example >\r\n"
        #expect(identity(headers, arrived: "01-Jan-2024 10:00:00 +0000") == "m1@x.example")
        #expect(identity(headers, arrived: "02-Jan-2024 10:00:00 +0000") == "m1@x.example")
    }

    @Test func withADateTheHeadersAloneDecide() {
        let headers = "From: a@x.example\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        // A copy made by a client that appended it again arrives later: still the same message.
        #expect(identity(headers, arrived: "01-Jan-2024 10:00:05 +0000") == identity(headers, arrived: "03-Mar-2024 09:00:00 +0000"))
        #expect(identity(headers, arrived: "01-Jan-2024 10:00:05 +0000").hasPrefix("sha256:"))
    }

    @Test func withoutDateOrMessageIDTheArrivalTimeTellsTwoMessagesApart() {
        let headers = "From: News <news@x.example>\r\nTo: me@example.org\r\nPrecedence: bulk\r\n"
        let first = identity(headers, arrived: "01-Jan-2024 10:00:00 +0000")
        #expect(first != identity(headers, arrived: "08-Jan-2024 10:00:00 +0000"), "two issues of a newsletter")
        #expect(first == identity(headers, arrived: "01-Jan-2024 10:00:00 +0000"), "a copy keeps its INTERNALDATE")
    }
}
