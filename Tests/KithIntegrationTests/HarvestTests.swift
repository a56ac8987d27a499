import Foundation
import Logging
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

func quietLogger() -> Logger {
    var logger = Logger(label: "kith-test")
    logger.logLevel = .critical
    return logger
}

/// Compares every contact the archive holds with what the sample's model says, field by field.
func expectArchiveMatchesModel(_ archive: Archive, _ mailbox: SampleMailbox, account: String = "acme", sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let actual = Dictionary(uniqueKeysWithValues: try archive.contacts().map { ($0.email, $0) })
    let expected = mailbox.expectedContacts()
    #expect(try archive.hasAllIndexes(), "a harvest ends with every index built", sourceLocation: sourceLocation)
    #expect(Set(actual.keys) == Set(expected.keys), "contact sets differ: missing \(Set(expected.keys).subtracting(actual.keys).sorted()), extra \(Set(actual.keys).subtracting(expected.keys).sorted())", sourceLocation: sourceLocation)
    for (email, want) in expected {
        guard let got = actual[email] else { continue }
        let gotAsExpected = ExpectedContact(email: got.email, spelling: got.spelling, name: got.name, sent: got.sent, received: got.received, messages: got.messages,
                                            firstSeen: got.firstSeen, lastSeen: got.lastSeen, automated: got.automated)
        #expect(gotAsExpected == want, sourceLocation: sourceLocation)
        #expect(got.accounts == [account], sourceLocation: sourceLocation)
    }
}

/// The account's config, a fresh archive for it, and a harvester writing there.
func openHarvest(_ account: TestAccount) throws -> (AccountConfig, Archive, Harvester) {
    let config = try ConfigLoader.load(path: account.configPath)
    let archive = try Archive(path: config.archive.path)
    return (config.accounts[0], archive, Harvester(archive: archive, logger: quietLogger()))
}

@Suite(.serialized) struct HarvestTests {
    @Test func firstHarvestArchivesEveryNumberAndChangesNoFlag() throws {
        let account = try TestAccount(messages: 400)
        let config = try ConfigLoader.load(path: account.configPath)
        let filesBefore = try SampleMailbox.messageFiles(in: account.server.maildir())
        #expect(filesBefore.contains { $0.hasSuffix(":2,") }, "the sample must hold unread mail for this test to mean anything")

        let archive = try Archive(path: config.archive.path)
        let report = Harvester(archive: archive, logger: quietLogger()).harvest(config.accounts[0])
        #expect(report.error == nil, "\(report.summary)")

        let distinct = Set(account.mailbox.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) }.map(\.logicalID))
        #expect(report.newMessages == distinct.count)
        #expect(report.foldersHarvested == 4)
        try expectArchiveMatchesModel(archive, account.mailbox)

        let emails = Set(try archive.contacts().map(\.email))
        #expect(!emails.contains { $0.hasSuffix("junk.example") || $0.hasSuffix("trash.example") || $0.hasSuffix("drafts.example") })
        #expect(!emails.contains("me@acme.example") && !emails.contains("firstname.lastname@acme.example"))
        #expect(try SampleMailbox.messageFiles(in: account.server.maildir()) == filesBefore, "a harvest changed a message file (flags)")
    }

    @Test func secondHarvestAddsExactlyTheNewMailAndThirdDoesNothing() throws {
        let account = try TestAccount(messages: 150, seed: 11)
        let (acme, archive, harvester) = try openHarvest(account)
        #expect(harvester.harvest(acme).error == nil)
        let before = try archive.messageCount()

        let more = try account.deliver(messages: 60, seed: 12)
        let second = harvester.harvest(acme)
        #expect(second.error == nil, "\(second.summary)")
        let newDistinct = Set(more.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) }.map(\.logicalID))
        #expect(second.newMessages == newDistinct.count)
        #expect(try archive.messageCount() == before + newDistinct.count)
        try expectArchiveMatchesModel(archive, account.mailbox)

        let third = harvester.harvest(acme)
        #expect(third.error == nil)
        #expect(third.newMessages == 0)
        #expect(third.foldersHarvested == 0, "an unchanged folder must be skipped without FETCH")
        #expect(third.messagesFetched == 0)
    }

    @Test func smallChunksGiveTheSameArchive() throws {
        let account = try TestAccount(messages: 120, seed: 5)
        let config = try ConfigLoader.load(path: account.configPath)
        let archive = try Archive(path: config.archive.path)
        var harvester = Harvester(archive: archive, logger: quietLogger())
        harvester.chunkSize = 7
        harvester.pipelineWindow = 3
        let report = harvester.harvest(config.accounts[0])
        #expect(report.error == nil, "\(report.summary)")
        try expectArchiveMatchesModel(archive, account.mailbox)
    }

    @Test func aStopRequestEndsTheHarvestRightAfterTheChunkInFlightIsCommitted() throws {
        let account = try TestAccount(messages: 200, seed: 13)
        let (acme, archive, firstHarvester) = try openHarvest(account)
        var harvester = firstHarvester
        harvester.chunkSize = 5
        harvester.shouldStop = { true }
        let report = harvester.harvest(acme)
        #expect(report.stopped && report.error == nil)
        let folders = try archive.folders(accountID: try archive.accountID(named: "acme"))
        #expect(folders.filter { $0.lastUID > 0 }.map(\.lastUID) == [5], "exactly one chunk committed, with its cursor")
        #expect(try archive.messageCount() > 0)
        harvester.shouldStop = { false }
        #expect(harvester.harvest(acme).error == nil)
        try expectArchiveMatchesModel(archive, account.mailbox)
    }

    @Test func wrongPasswordFailsWithTheAccountNamedAndNoSecretShown() throws {
        let account = try TestAccount(messages: 5)
        var config = try ConfigLoader.load(path: account.configPath)
        config.accounts[0].password = .environment("KITH_TEST_WRONG_PASSWORD")
        let archive = try Archive(path: config.archive.path)
        var harvester = Harvester(archive: archive, logger: quietLogger())
        harvester.environment["KITH_TEST_WRONG_PASSWORD"] = "not-the-password-42"
        let report = harvester.harvest(config.accounts[0])
        let error = try #require(report.error)
        #expect(error.account == "acme")
        #expect(error.retry == .never)
        #expect(report.summary.contains("acme"))
        #expect(!report.summary.contains("not-the-password-42"))
        #expect(!report.summary.contains(account.password))
    }

    @Test func includeAndExcludePatternsOverrideTheDefaults() throws {
        let account = try TestAccount(messages: 200, seed: 3, extraAccountLines: """
            [account.folders]
            include = ["INBOX", "Junk", "Nowhere*"]
            """)
        let config = try ConfigLoader.load(path: account.configPath)
        let archive = try Archive(path: config.archive.path)
        let report = Harvester(archive: archive, logger: quietLogger()).harvest(config.accounts[0])
        #expect(report.error == nil)
        #expect(report.unmatchedPatterns == ["Nowhere*"])
        let emails = Set(try archive.contacts().map(\.email))
        #expect(emails.contains { $0.hasSuffix("junk.example") }, "an explicitly included Junk folder is harvested")
        let sentOnly = account.mailbox.messages.filter { $0.folder == "Sent" }.flatMap { $0.to.map(\.email) }
        let inboxAll = Set(account.mailbox.messages.filter { $0.folder == "INBOX" || $0.folder == "Junk" }.flatMap { ($0.from + $0.to + $0.cc).map(\.email) })
        #expect(sentOnly.contains { !inboxAll.contains($0) && emails.contains($0) } == false, "Sent was not included, so its recipients must not appear")
    }
}
