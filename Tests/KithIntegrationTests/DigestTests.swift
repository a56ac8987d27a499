import Foundation
import Testing
import KithArchive
import KithTestSupport

/// The daemon's digest of fading relationships, received by a real webhook receiver, a real SMTP server
/// (aiosmtpd) and a command: once per period, not again after a restart, one to catch up after downtime.
@Suite(.serialized) struct DigestTests {
    @Test func onceAfterTheFirstHarvestNotAgainAfterARestartOneAfterDowntime() throws {
        let account = try TestAccount(messages: 0, mailbox: RelationshipMailbox.mailbox())
        let smtp = try RecordingSMTPServer(directory: account.directory)
        let http = try RecordingHTTPServer(directory: account.directory)
        let hook = account.directory.appendingPathComponent("hook.log").path
        let copy = account.directory.appendingPathComponent("digest-copy.json").path
        var config = try String(contentsOfFile: account.configPath, encoding: .utf8)
        config += """

            [digest]
            every = "1h"
            limit = 5

            """
        config += SampleConfig.notifyTables(
            command: "echo \"$KITH_EVENT $(stat -c %a \"$KITH_DIGEST_FILE\")\" >> \(hook); cat \"$KITH_DIGEST_FILE\" > \(copy)",
            smtpURL: smtp.url, webhookURL: http.url)
        try config.write(toFile: account.configPath, atomically: true, encoding: .utf8)

        /// Runs the daemon until its first harvest is logged and `settle` seconds more; returns the webhook digests so far.
        func runDaemon(_ label: String, settle: Double) throws -> Int {
            let socket = account.directory.appendingPathComponent("notify-\(label).sock").path
            let notify = try NotifySocket(name: socket)
            let daemon = try BackgroundProcess([kithBinary, "daemon"], environment: [
                "KITH_CONFIG": account.configPath, "KITH_NOW": RelationshipMailbox.nowText, "NOTIFY_SOCKET": socket, "PATH": "/usr/bin:/bin",
            ], logFile: account.directory.appendingPathComponent("daemon-\(label).log").path)
            #expect(notify.receive(until: "READY=1", timeout: 20) != nil, "\(label): \(daemon.output)")
            #expect(notify.receive(until: "STATUS=1 accounts, next harvest", timeout: 60) != nil, "\(label): no harvest: \(daemon.output)")
            Thread.sleep(forTimeInterval: settle)
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit(timeout: 15) == 0, "\(label): \(daemon.output)")
            return try http.requests.filter { try digestObject($0.body) != nil }.count
        }
        func digestObject(_ body: String) throws -> [String: Any]? {
            let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            return object?["event"] as? String == "digest" ? object : nil
        }

        #expect(try runDaemon("first", settle: 3) == 1, "the first digest follows the first harvest")
        let first = try #require(try http.requests.compactMap { try digestObject($0.body) }.first)
        let people = try #require(first["people"] as? [[String: Any]])
        #expect(people.map { $0["email"] as? String } == ["grace@navy.example", "alan@bletchley.example"])
        #expect(people.allSatisfy { ($0["name"] as? String)?.isEmpty == false })
        #expect((first["closed_accounts"] as? [Any])?.isEmpty == true)

        let mails = smtp.messages
        #expect(mails.count == 1)
        let mail = try #require(mails.first)
        #expect(mail.contains("Subject: kith: 2 strong relationships are going quiet"), "\(mail.prefix(400))")
        #expect(mail.contains("multipart/alternative") && mail.contains("Content-Type: text/html; charset=utf-8"))
        #expect(mail.contains("1. Grace Hopper <grace@navy.example>"), "the plain part reads as text: \(mail)")
        #expect(mail.contains("last in touch 2025-11-13, usually every 7 days (28.6x overdue)"))
        #expect(mail.contains("<a href=\"mailto:grace@navy.example\">grace@navy.example</a>"), "the HTML part links each person")
        #expect(try String(contentsOfFile: hook, encoding: .utf8) == "digest 600\n", "KITH_EVENT=digest and a private KITH_DIGEST_FILE")
        let copied = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: copy))) as? [String: Any])
        #expect((copied["people"] as? [[String: Any]])?.count == 2)

        #expect(try runDaemon("restart", settle: 3) == 1, "a restart within the period sends nothing")
        #expect(smtp.messages.count == 1)

        // Down for three periods, and meanwhile the old job's account closed: one digest catches up, led by that account.
        let archive = try Archive(path: account.archivePath, create: false)
        let old = RelationshipMailbox.mailbox(people: [RelationshipMailbox.formerColleague], owner: RelationshipMailbox.formerOwner, extras: false)
        let mbox = account.directory.appendingPathComponent("oldjob.mbox").path
        try Data(old.messages.map { SampleMailbox.mboxEntry($0) }.joined().utf8).write(to: URL(fileURLWithPath: mbox))
        #expect(try kith(["import", "--account", "oldjob", "--address", RelationshipMailbox.formerOwner, mbox], config: account.configPath).status == 0)
        try archive.markClosed(account: "oldjob", at: RelationshipMailbox.now - 86_400)
        let sent = try #require(try archive.storedValue("digest.last_sent_at").flatMap { Int64($0) })
        try archive.storeValue(String(sent - 3 * 3600 - 60), for: "digest.last_sent_at")
        #expect(try runDaemon("after-downtime", settle: 3) == 2, "one digest for the missed periods, not three")
        let caughtUp = try #require(try http.requests.compactMap { try digestObject($0.body) }.last)
        let closed = try #require(caughtUp["closed_accounts"] as? [[String: Any]])
        #expect(closed.map { $0["account"] as? String } == ["oldjob"])
        #expect((closed.first?["people"] as? [[String: Any]])?.first?["email"] as? String == "linus@oldjob.example")
        #expect((caughtUp["message"] as? String)?.hasPrefix("from oldjob: Linus Torvalds\n") == true, "\(caughtUp["message"] ?? "")")
        #expect(smtp.messages.last?.contains("from oldjob: Linus Torvalds") == true)

        #expect(try runDaemon("again", settle: 3) == 2, "nothing more within the period")
        #expect(try kith(["verify"], config: account.configPath).status == 0)
    }
}
