import Foundation
import Testing
import KithIMAP
import KithIMAPWire
import KithTestSupport

@Suite struct SessionSmokeTests {
    @Test func listsExaminesAndFetches() throws {
        let server = try DovecotServer()
        let inbox = server.maildir().appendingPathComponent("cur")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        try "From: Ada <ada@example.org>\r\nTo: owner@example.com\r\nSubject: hi\r\n\r\nbody\r\n".write(to: inbox.appendingPathComponent("1.m:2,"), atomically: true, encoding: .utf8)
        try server.start()
        let session = try IMAPSession(ConnectionSettings(url: server.url, username: "owner", password: Secret("owner-secret-pw"), allowPlaintext: true))
        let boxes = try session.listMailboxes()
        print(boxes.map { String(decoding: $0.name, as: UTF8.self) + " \($0.attributes)" })
        let status = try session.examine(Array("INBOX".utf8))
        print(status)
        var got: [FetchAttributes] = []
        try session.uidFetch(ranges: [1...10], items: "UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM TO)]", onMessage: { got.append($0) }, onRangeComplete: { print("done \($0)") })
        print(got)
        #expect(got.count == 1)
        session.logout()
    }
}
