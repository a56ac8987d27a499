import Foundation
import Testing
import KithArchive
import KithConfig
import KithTestSupport

/// Walks an account from 40 days before `closes_on` to after it, one daemon run per day of interest
/// (the date comes from KITH_NOW), with notices received by a real SMTP server and a real HTTP server.
@Suite(.serialized) struct DeprovisioningTests {
    @Test func fromFortyDaysOutToClosedEachNoticeOnceInOrder() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kith").path
        try #require(FileManager.default.isExecutableFile(atPath: binary))
        let account = try TestAccount(messages: 50, seed: 101, extraAccountLines: "closes_on = 2027-03-31\nfinal_export_days = 14")
        let smtp = try RecordingSMTPServer(directory: account.directory)
        let http = try RecordingHTTPServer(directory: account.directory)
        let hook = account.directory.appendingPathComponent("hook.log").path
        var config = try String(contentsOfFile: account.configPath, encoding: .utf8)
        config += SampleConfig.notifyTables(command: "echo \"$KITH_EVENT $KITH_DAYS_LEFT\" >> \(hook)", smtpURL: smtp.url, webhookURL: http.url)
        try config.write(toFile: account.configPath, atomically: true, encoding: .utf8)

        func runDaemon(on day: String) throws {
            let socket = account.directory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
            let notify = try NotifySocket(name: socket)
            let daemon = try BackgroundProcess([binary, "daemon"], environment: [
                "KITH_CONFIG": account.configPath, "KITH_NOW": day, "NOTIFY_SOCKET": socket, "PATH": "/usr/bin:/bin",
            ], logFile: account.directory.appendingPathComponent("daemon-\(day).log").path)
            #expect(notify.receive(until: "READY=1", timeout: 20) != nil, "\(day): \(daemon.output)")
            #expect(notify.receive(until: "STATUS=", timeout: 60) != nil, "\(day): no status after the review: \(daemon.output)")
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit(timeout: 15) == 0, "\(day): \(daemon.output)")
        }

        for day in ["2027-02-19", "2027-03-01", "2027-03-01", "2027-03-20", "2027-03-30", "2027-04-01"] {
            try runDaemon(on: day)
        }
        let archive = try Archive(path: account.archivePath, create: false)
        let attemptBefore = try archive.accountSummaries()[0].lastAttemptAt
        sleep(1)
        try runDaemon(on: "2027-04-02")
        #expect(try archive.accountSummaries()[0].lastAttemptAt == attemptBefore, "a closed account is not contacted")
        #expect(try archive.accountSummaries()[0].closedAt != nil)

        let notices = try http.requests.map { request -> (String, Int) in
            #expect(request.contentType == "application/json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
            #expect(object["account"] as? String == "acme")
            return (object["event"] as! String, object["days_left"] as! Int)
        }
        #expect(notices.map { "\($0.0) \($0.1)" } == ["warning 30", "warning 11", "final-export 11", "warning 1", "closed 0"])
        let commandLog = try String(contentsOfFile: hook, encoding: .utf8).split(separator: "\n")
        #expect(commandLog == ["warning 30", "warning 11", "final-export 11", "warning 1", "closed 0"])

        let mails = smtp.messages
        #expect(mails.count == 5)
        #expect(mails.filter { $0.contains("Subject: kith: acme: mailbox closes in") }.count == 3)
        #expect(mails.contains { $0.contains("Subject: kith: acme: final export ready") && $0.contains("exports/acme/2027-03-20") })
        #expect(mails.allSatisfy { $0.contains("To: me@personal.example") })

        let exportRequest = try #require(http.requests.first { $0.body.contains("final-export") })
        let exportObject = try #require(try JSONSerialization.jsonObject(with: Data(exportRequest.body.utf8)) as? [String: Any])
        let path = try #require(exportObject["export_path"] as? String)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json"))) as? [String: Any])
        #expect(manifest["complete"] as? Bool == true)

        let status = try ChildProcess.run([binary, "status"], environment: ["KITH_CONFIG": account.configPath, "KITH_NOW": "2027-04-02"], timeoutSeconds: 30)
        #expect(String(decoding: status.output, as: UTF8.self).contains("acme: closed;"))
        let earlier = try ChildProcess.run([binary, "status"], environment: ["KITH_CONFIG": account.configPath, "KITH_NOW": "2027-03-01"], timeoutSeconds: 30)
        #expect(String(decoding: earlier.output, as: UTF8.self).contains("acme: closed;"), "closed stays closed whatever the date")
    }
}
