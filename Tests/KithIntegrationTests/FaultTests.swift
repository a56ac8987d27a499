import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

/// Harvests through a fault-injecting proxy, then checks what the failure says, what the archive kept,
/// and that a clean harvest afterwards completes with exactly the right numbers.
private func harvestThrough(_ fault: FaultProxy.Fault, messages: Int = 150, seed: UInt64 = 31,
                            check: (HarvestReport, Archive, Int) throws -> Void) throws {
    let account = try TestAccount(messages: messages, seed: seed)
    let (proxy, viaProxy, archive, config) = try proxied(account, fault)
    defer { proxy.stop() }
    var harvester = Harvester(archive: archive, logger: quietLogger())
    harvester.chunkSize = 10
    harvester.pipelineWindow = 1
    harvester.readTimeoutSeconds = 2
    let report = harvester.harvest(viaProxy)
    let distinct = Set(account.mailbox.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) }.map(\.logicalID)).count
    try check(report, archive, distinct)

    let clean = harvester.harvest(config)
    #expect(clean.error == nil, "the next harvest must complete: \(clean.summary)")
    try expectArchiveMatchesModel(archive, account.mailbox)
}

/// A proxy with `fault` in front of the account's Dovecot; the account as seen through it and directly, and its archive.
func proxied(_ account: TestAccount, _ fault: FaultProxy.Fault) throws -> (FaultProxy, viaProxy: AccountConfig, Archive, direct: AccountConfig) {
    let proxy = try FaultProxy(upstreamPort: account.server.port, fault: fault)
    let config = try ConfigLoader.load(path: account.configPath)
    var viaProxy = config.accounts[0]
    viaProxy.url = "imap://127.0.0.1:\(proxy.port)"
    return (proxy, viaProxy, try Archive(path: config.archive.path), config.accounts[0])
}

@Suite(.serialized) struct FaultTests {
    @Test func connectionCutInTheMiddleOfFetchData() throws {
        try harvestThrough(.cutAfter(serverBytes: 9000)) { report, archive, total in
            let error = try #require(report.error)
            #expect(error.reason.contains("closed the connection"), "\(error)")
            #expect(error.folder != nil && error.uidRange != nil, "the error names folder and UID range: \(error)")
            #expect(error.retry == .now)
            let kept = try archive.messageCount()
            #expect(kept > 0 && kept < total, "committed chunks are kept (\(kept) of \(total))")
        }
    }

    @Test func stalledServerHitsTheReadTimeout() throws {
        try harvestThrough(.stallAfter(serverBytes: 9000)) { report, archive, _ in
            let error = try #require(report.error)
            #expect(error.reason.contains("no answer from the server within 2 s"), "\(error)")
            #expect(error.uidRange != nil)
            #expect(try archive.messageCount() > 0)
        }
    }

    @Test func commandAnsweredWithNo() throws {
        try harvestThrough(.answer(command: "BODY.PEEK", occurrence: 3, reply: "TAG NO [SERVERBUG] Internal error occurred\r\n")) { report, archive, _ in
            let error = try #require(report.error)
            // The third chunk of ten of the first folder read: UIDs 21 to 30, or fewer when the folder is smaller.
            let range = try #require(error.uidRange)
            #expect(range.lowerBound == 21 && range.upperBound <= 30)
            #expect(error.reason.contains("UID FETCH 21:\(range.upperBound) failed: NO Internal error occurred"), "\(error)")
            #expect(error.description.contains("account \"acme\", folder \""), "\(error)")
            let folders = try archive.folders(accountID: try archive.accountID(named: "acme"))
            #expect(folders.contains { $0.lastUID == 20 }, "the two chunks before the failure are committed")
        }
    }

    @Test func commandAnsweredWithBad() throws {
        try harvestThrough(.answer(command: "UID FETCH", occurrence: 2, reply: "TAG BAD Error in IMAP command UID FETCH: Invalid uidset\r\n")) { report, _, _ in
            let error = try #require(report.error)
            #expect(error.reason.contains("failed: BAD Error in IMAP command"), "\(error)")
            #expect(error.retry == .later)
        }
    }

    @Test func serverSaysBye() throws {
        try harvestThrough(.answer(command: "UID FETCH", occurrence: 2, reply: "* BYE Server shutting down\r\n")) { report, _, _ in
            #expect(report.error?.reason.contains("server closed the session: Server shutting down") == true, "\(String(describing: report.error))")
        }
    }

    @Test func malformedResponse() throws {
        try harvestThrough(.answer(command: "UID FETCH", occurrence: 2, reply: "* 1 FETCH (UID ((((\r\n")) { report, _, _ in
            #expect(report.error?.reason.contains("malformed response") == true, "\(String(describing: report.error))")
        }
    }

    @Test func announcedTenGigabyteLiteral() throws {
        try harvestThrough(.answer(command: "UID FETCH", occurrence: 2, reply: "* 1 FETCH (UID 11 BODY[HEADER.FIELDS (FROM)] {10737418240}\r\n")) { report, _, _ in
            #expect(report.error?.reason.contains("literal of 10737418240 bytes exceeds the limit") == true, "\(String(describing: report.error))")
        }
    }

    @Test func oneFailingAccountDoesNotStopAnother() throws {
        let account = try TestAccount(messages: 40, seed: 8)
        let proxy = try FaultProxy(upstreamPort: account.server.port, fault: .cutAfter(serverBytes: 50))
        defer { proxy.stop() }
        let config = try ConfigLoader.load(path: account.configPath)
        var broken = config.accounts[0]
        broken.name = "broken"
        broken.url = "imap://127.0.0.1:\(proxy.port)"
        let archive = try Archive(path: config.archive.path)
        let harvester = Harvester(archive: archive, logger: quietLogger())
        let reports = [broken, config.accounts[0]].map(harvester.harvest)
        #expect(reports[0].error?.account == "broken")
        #expect(reports[1].error == nil)
        try expectArchiveMatchesModel(archive, account.mailbox)
    }
}
