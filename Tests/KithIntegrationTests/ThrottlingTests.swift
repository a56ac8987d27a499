import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithIMAP
import KithIMAPWire
import KithTestSupport

/// A real Dovecot behind a proxy that answers some UID FETCH commands the way a throttling Exchange
/// Online does (`NO ... Suggested Backoff Time`, then BYE, then the connection closes).
private func harvestThrottled(_ reply: String, at occurrences: Set<Int>, maximumWait: Double = 120,
                              check: (HarvestReport, Archive, FaultProxy, TestAccount) throws -> Void) throws {
    let account = try TestAccount(messages: 240, seed: 47)
    let (proxy, viaProxy, archive, _) = try proxied(account, .answerAndClose(command: "BODY.PEEK", occurrences: occurrences, reply: reply))
    defer { proxy.stop() }
    var harvester = Harvester(archive: archive, logger: quietLogger())
    harvester.chunkSize = 20
    harvester.pipelineWindow = 2
    harvester.maximumThrottleWaitSeconds = maximumWait
    try check(harvester.harvest(viaProxy), archive, proxy, account)
}

private let exchangeThrottle = "TAG NO Request is throttled. Suggested Backoff Time: 1200 milliseconds\r\n* BYE Connection closed. 14\r\n"

@Suite(.serialized) struct ThrottlingTests {
    @Test func waitsTheSuggestedTimeReconnectsAndResumes() throws {
        try harvestThrottled(exchangeThrottle, at: [3, 7]) { report, archive, proxy, account in
            #expect(report.error == nil, "\(report.summary)")
            #expect(report.throttleWaits == 2)
            #expect(report.summary.contains("waited 2.4 s for the server's throttling (2x)"), "\(report.summary)")
            try expectArchiveMatchesModel(archive, account.mailbox)
            let log = proxy.commandLog
            let connections = Set(log.map(\.connection)).sorted()
            #expect(connections == [1, 2, 3], "one connection at a time, one more per throttling")
            for (index, injected) in proxy.injectedAt.enumerated() {
                let next = try #require(log.first { $0.connection == index + 2 })
                #expect(next.at.timeIntervalSince(injected) >= 1.2, "a command came back \(next.at.timeIntervalSince(injected)) s after the throttling")
            }
            // Resuming reads on from the committed cursors: each header chunk at most once more than needed.
            let headerFetches = log.filter { $0.line.contains("BODY.PEEK") }.count
            let chunks = Int((Double(account.mailbox.messages.count) / 20).rounded(.up))
            #expect(headerFetches <= chunks + 2 * 2 + SampleMailbox.harvestedFolders.count, "\(headerFetches) header FETCH commands")
        }
    }

    @Test func aLongerWaitEndsTheHarvestWithTheTimeToComeBack() throws {
        let reply = "TAG NO Request is throttled. Suggested Backoff Time: 300000 milliseconds\r\n* BYE Connection closed.\r\n"
        try harvestThrottled(reply, at: [3]) { report, archive, proxy, _ in
            let error = try #require(report.error)
            #expect(error.reason.hasPrefix("throttled until "), "\(error)")
            let retryAt = try #require(error.retryAt)
            #expect(abs(retryAt.timeIntervalSinceNow - 300) < 10)
            #expect(try archive.messageCount() > 0, "chunks committed before the throttling stay")
            #expect(Set(proxy.commandLog.map(\.connection)) == [1], "no reconnection for a wait that long")
        }
    }

    @Test(arguments: ["TAG NO [UNAVAILABLE] Try again later\r\n", "TAG NO [LIMIT] Too many commands\r\n",
                      "TAG NO [INUSE] Mailbox in use\r\n", "TAG BAD [THROTTLED] Slow down\r\n"])
    func responseCodesThatMeanWait(reply: String) throws {
        // They name no time: the default minute is more than this test allows, so the harvest ends saying when.
        try harvestThrottled(reply, at: [2], maximumWait: 30) { report, _, _, _ in
            let error = try #require(report.error)
            #expect(error.reason.hasPrefix("throttled until "), "\(error)")
            #expect(abs((error.retryAt?.timeIntervalSinceNow ?? 0) - 60) < 10)
        }
    }

    @Test func recognisesThrottlingAndNothingElse() {
        func status(_ kind: StatusKind, _ code: ResponseCode?, _ text: String) -> IMAPError {
            .commandFailed(command: "UID FETCH", status: StatusResponse(kind: kind, code: code, text: text))
        }
        #expect(Throttle.recognise(status(.no, nil, "Request is throttled. Suggested Backoff Time: 1500 milliseconds"))?.seconds == 1.5)
        #expect(Throttle.recognise(status(.bad, nil, "Request is throttled."))?.seconds == 60)
        #expect(Throttle.recognise(status(.no, .other(name: "ALERT", arguments: nil), "Too many simultaneous connections. (Failure)"))?.seconds == 60)
        #expect(Throttle.recognise(IMAPError.bye(text: "Request is throttled. Suggested Backoff Time: 999999999999 milliseconds"))?.seconds == 999_999.999)
        #expect(Throttle.recognise(status(.no, .other(name: "NOPERM", arguments: nil), "Permission denied")) == nil)
        #expect(Throttle.recognise(status(.no, nil, "Mailbox doesn't exist")) == nil)
        #expect(Throttle.recognise(IMAPError.bye(text: "Logging out")) == nil)
    }
}
