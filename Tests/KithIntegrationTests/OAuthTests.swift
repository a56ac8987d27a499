import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

/// A Dovecot that validates OAuth2 tokens at a local introspection endpoint; `tokenScript` is the
/// account's `oauth2_token_command`.
private func harvestWithToken(auth: AuthMechanism, tokenScript: (URL) throws -> String,
                              check: (HarvestReport, Archive, SampleMailbox, IntrospectionServer) throws -> Void) throws {
    let root = try DovecotServer.makeTemporaryDirectory(prefix: "kith-oauth")
    let introspection = try IntrospectionServer(directory: root, username: "owner", validToken: "good-token-1234")
    let server = try DovecotServer(users: ["owner": "unused-password"], oauth2IntrospectionURL: introspection.url)
    let mailbox = SampleMailbox.generate(count: 25, seed: 71)
    try mailbox.write(to: server.maildir())
    try server.start()
    let archive = try Archive(path: root.appendingPathComponent("archive.sqlite").path)
    let account = AccountConfig(name: "m365", url: server.url, username: "owner", password: .command(try tokenScript(root)), auth: auth,
                                addresses: mailbox.ownerAddresses, allowPlaintext: true)
    try check(Harvester(archive: archive, logger: quietLogger()).harvest(account), archive, mailbox, introspection)
}

@Suite(.serialized) struct OAuthTests {
    @Test(arguments: [AuthMechanism.xoauth2, .oauthBearer])
    func logsInWithABearerToken(auth: AuthMechanism) throws {
        try harvestWithToken(auth: auth, tokenScript: { _ in "echo good-token-1234" }) { report, archive, mailbox, introspection in
            #expect(report.error == nil, "\(report.summary)")
            try expectArchiveMatchesModel(archive, mailbox, account: "m365")
            #expect(introspection.requestedTokens.contains("good-token-1234"), "the server validated the token we sent")
        }
    }

    @Test func aRefusedTokenIsFetchedOnceMore() throws {
        try harvestWithToken(auth: .xoauth2, tokenScript: { root in
            let counter = root.appendingPathComponent("runs").path
            return "echo run >> '\(counter)'; if [ $(wc -l < '\(counter)') -eq 1 ]; then echo stale-token-0000; else echo good-token-1234; fi"
        }) { report, _, _, introspection in
            #expect(report.error == nil, "\(report.summary)")
            #expect(introspection.requestedTokens == ["stale-token-0000", "good-token-1234"])
        }
    }

    @Test func aTokenRefusedTwiceIsReportedWithoutTheToken() throws {
        try harvestWithToken(auth: .xoauth2, tokenScript: { _ in "echo revoked-token-9999" }) { report, archive, _, introspection in
            let error = try #require(report.error)
            #expect(error.account == "m365")
            #expect(error.retry == .never)
            #expect(introspection.requestedTokens.count == 2, "tried, fetched again, tried once more")
            #expect(!report.summary.contains("revoked-token-9999") && !error.description.contains("revoked-token-9999"))
            #expect(try archive.messageCount() == 0)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: archive.path)) + ((try? Data(contentsOf: URL(fileURLWithPath: archive.path + "-wal"))) ?? Data())
            #expect(bytes.range(of: Data("revoked-token-9999".utf8)) == nil, "the token reached the archive")
            let stored = try #require(try archive.accountSummaries().first?.lastError)
            #expect(!stored.contains("revoked-token-9999"))
        }
    }
}
