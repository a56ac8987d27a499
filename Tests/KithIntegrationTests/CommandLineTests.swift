import Foundation
import Testing
import KithArchive
import KithConfig
import KithTestSupport

@Suite(.serialized) struct CommandLineTests {
    @Test func harvestContactsExportAndCheckConfigOnARealServer() throws {
        try #require(FileManager.default.isExecutableFile(atPath: kithBinary), "build the kith product first")
        let account = try TestAccount(messages: 120, seed: 21)

        let check = try kith(["check-config"], config: account.configPath)
        #expect(check.status == 0)
        #expect(check.output.contains("account \"acme\""))

        let harvest = try kith(["harvest"], config: account.configPath)
        #expect(harvest.status == 0, "\(harvest.errors)")
        #expect(harvest.output.contains("acme: 4 folders read"))
        #expect(harvest.errors.contains("connecting without TLS (allow_plaintext = true)"), "plaintext is warned about on every connect")

        let export = try kith(["export", "--format", "json"], config: account.configPath)
        #expect(export.status == 0)
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(export.output.utf8)) as? [[String: Any]])
        let expected = account.mailbox.expectedContacts()
        #expect(objects.count == expected.count)
        #expect(objects.map { $0["email"] as! String } == expected.keys.sorted(), "sorted by email")
        for object in objects {
            #expect(Set(object.keys) == ["email", "spelling", "emails", "addresses", "strength", "name", "accounts", "sent", "received", "messages",
                                         "first_seen", "last_seen", "automated"])
            let want = expected[object["email"] as! String]!
            #expect(object["spelling"] as? String == want.spelling, "\(want.email): shown as most messages wrote it")
            #expect(object["messages"] as? Int == want.messages)
            #expect((object["name"] as? String) == want.name)
            // Nobody is linked here: each person is one address, with the same numbers.
            let addresses = try #require(object["addresses"] as? [[String: Any]])
            #expect(addresses.count == 1 && addresses[0]["email"] as? String == object["email"] as? String)
            #expect(addresses[0]["sent"] as? Int == want.sent && addresses[0]["received"] as? Int == want.received)
            #expect(object["sent"] as? Int == want.sent && object["received"] as? Int == want.received)
            #expect(object["first_seen"] as? String == want.firstSeen && object["last_seen"] as? String == want.lastSeen)
            #expect((object["strength"] as? Double ?? -1) >= 0)
        }

        let strongest = try kith(["contacts", "--json"], config: account.configPath)
        let strengths = try #require(try JSONSerialization.jsonObject(with: Data(strongest.output.utf8)) as? [[String: Any]]).map { $0["strength"] as! Double }
        #expect(!strengths.isEmpty && strengths == strengths.sorted(by: >), "strongest first by default")

        let top = try kith(["contacts", "--limit", "3", "--json", "--include-automated", "--sort", "messages"], config: account.configPath)
        let topObjects = try #require(try JSONSerialization.jsonObject(with: Data(top.output.utf8)) as? [[String: Any]])
        #expect(topObjects.count == 3)
        let most = expected.values.map(\.messages).max()!
        #expect(topObjects.contains { $0["messages"] as? Int == most })

        let search = try kith(["contacts", "--search", "NEWSLETTER.example", "--include-automated"], config: account.configPath)
        #expect(search.status == 0 && search.output.contains("news0@newsletter.example"))
        #expect(!search.output.contains("@acme.example"))

        for output in [check.output, check.errors, harvest.output, harvest.errors, export.output] {
            #expect(!output.contains(account.password), "a secret reached the output")
        }
        let archiveBytes = try Data(contentsOf: URL(fileURLWithPath: account.archivePath)) + ((try? Data(contentsOf: URL(fileURLWithPath: account.archivePath + "-wal"))) ?? Data())
        #expect(archiveBytes.range(of: Data(account.password.utf8)) == nil, "the password reached the archive")
    }

    @Test func contactsShowStatusAndExportsThatOtherToolsRead() throws {
        let account = try TestAccount(messages: 150, seed: 23)
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        let expected = account.mailbox.expectedContacts()
        let people = expected.values.filter { !$0.automated }

        func json(_ arguments: [String]) throws -> [[String: Any]] {
            let result = try kith(arguments + ["--json"], config: account.configPath)
            #expect(result.status == 0, "\(result.errors)")
            return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
        }
        #expect(Set(try json(["contacts"]).map { $0["email"] as! String }) == Set(people.map(\.email)), "automated senders are left out by default")
        #expect(try json(["contacts", "--include-automated"]).count == expected.count)
        let byName = try json(["contacts", "--sort", "name"]).map { (($0["name"] as? String) ?? ($0["email"] as! String)).lowercased() }
        #expect(byName == byName.sorted())
        let recent = try json(["contacts", "--sort", "recent"]).compactMap { $0["last_seen"] as? String }
        #expect(recent == recent.sorted(by: >))
        let since = try json(["contacts", "--since", "2024-06-01"])
        #expect(since.count == people.filter { ($0.lastSeen ?? "") >= "2024-06-01" }.count)
        #expect(try kith(["contacts", "--since", "June"], config: account.configPath).status == 2)

        let star = try #require(people.filter { $0.name != nil }.max { ($0.messages, $1.email) < ($1.messages, $0.email) })
        let show = try kith(["show", star.email], config: account.configPath)
        #expect(show.status == 0)
        #expect(show.output.contains("<\(star.email)>") && show.output.contains("messages: \(star.messages) ("))
        #expect(show.output.contains("account acme: \(star.messages) messages"))
        #expect(show.output.contains("per year"))
        #expect(try kith(["show", "nobody-at-all"], config: account.configPath).status == 1)

        let status = try kith(["status", "--json"], config: account.configPath)
        let statusObject = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        #expect(statusObject["contacts"] as? Int == expected.count)
        #expect((statusObject["accounts"] as? [[String: Any]])?.first?["state"] as? String == "ok")

        let vcf = account.directory.appendingPathComponent("people.vcf").path
        let csv = account.directory.appendingPathComponent("people.csv").path
        #expect(try kith(["export", "--format", "vcard", "--output", vcf], config: account.configPath).status == 0)
        #expect(try kith(["export", "--format", "csv", "--output", csv], config: account.configPath).status == 0)
        let reader = """
            import csv, sys, vobject
            cards = list(vobject.readComponents(open(sys.argv[1], newline="").read()))
            for card in cards:
                print("vcard", card.email.value, card.fn.value)
            rows = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8")))
            for row in rows:
                print("csv", row["E-mail 1 - Value"], row["Name"] or row["E-mail 1 - Value"])
            """
        let parsed = try ChildProcess.run(["/usr/bin/python3", "-c", reader, vcf, csv], timeoutSeconds: 60)
        #expect(parsed.status == 0, "\(String(decoding: parsed.errorOutput, as: UTF8.self))")
        let lines = String(decoding: parsed.output, as: UTF8.self).split(separator: "\n").map(String.init)
        let want = Set(people.map { "\($0.spelling ?? $0.email) \($0.name ?? $0.email)" })
        #expect(Set(lines.filter { $0.hasPrefix("vcard ") }.map { String($0.dropFirst(6)) }) == want, "vCard round trip")
        #expect(Set(lines.filter { $0.hasPrefix("csv ") }.map { String($0.dropFirst(4)) }) == want, "CSV round trip")
    }

    @Test func progressShowsOnATerminalOnly() throws {
        let account = try TestAccount(messages: 300, seed: 24)
        let quiet = try kith(["harvest", "--chunk-size", "20"], config: account.configPath)
        #expect(!quiet.errors.contains("/s, "), "no progress line without a terminal")
        try FileManager.default.removeItem(atPath: account.archivePath)
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_CONFIG"] = account.configPath
        environment.removeValue(forKey: "JOURNAL_STREAM")
        // script(1) gives kith a pseudo-terminal.
        let tty = try ChildProcess.run(["script", "-qec", "\(kithBinary) harvest --chunk-size 20", "/dev/null"], environment: environment, timeoutSeconds: 120)
        let screen = String(decoding: tty.output, as: UTF8.self)
        #expect(screen.contains("acme: INBOX ") && screen.contains("/s, ") && screen.contains("\r"), "\(screen.prefix(500))")
        #expect(screen.contains("acme: 4 folders read"))
    }

    @Test func logLinesCarryJournaldPrioritiesUnderSystemd() throws {
        let account = try TestAccount(messages: 5, seed: 4)
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_CONFIG"] = account.configPath
        environment["JOURNAL_STREAM"] = "8:12345"
        let result = try ChildProcess.run([kithBinary, "harvest", "--log-level", "info"], environment: environment, timeoutSeconds: 60)
        let lines = String(decoding: result.errorOutput, as: UTF8.self).split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<4>connecting without TLS") }, "\(lines)")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("<") }, "\(lines)")
    }

    @Test func userErrorsAreOneClearLineAndANonZeroExit() throws {
        let account = try TestAccount(messages: 3, seed: 2)
        let unknown = try kith(["harvest", "--account", "nope"], config: account.configPath)
        #expect(unknown.status == 2)
        #expect(unknown.errors.contains("no account named \"nope\""))

        let noArchive = try kith(["contacts"], config: account.configPath)
        #expect(noArchive.status == 2)
        #expect(noArchive.errors.contains("run `kith harvest` first"))

        let missing = try kith(["check-config"], config: "/nonexistent/kith.toml")
        #expect(missing.status == 2)
        #expect(missing.errors.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)

        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        do {
            let lock = try ArchiveLock(archivePath: account.archivePath)
            let locked = try kith(["harvest"], config: account.configPath)
            #expect(locked.status == 2)
            #expect(locked.errors.contains("another kith harvest (pid \(getpid())) is writing this archive"))
            #expect(locked.errors.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
            withExtendedLifetime(lock) {}
        }
        for shell in ["bash", "zsh", "fish"] {
            let completion = try kith(["--generate-completion-script", shell])
            #expect(completion.status == 0 && completion.output.contains("final-export"), "\(shell) completion")
        }

        account.server.stop()
        let down = try kith(["harvest"], config: account.configPath)
        #expect(down.status == 1)
        #expect(down.output.contains("acme: FAILED"))
        #expect(!down.errors.contains(account.password) && !down.output.contains(account.password))

        try Data("this is not a database, it is garbage".utf8).write(to: URL(fileURLWithPath: account.archivePath))
        try? FileManager.default.removeItem(atPath: account.archivePath + "-wal")
        try? FileManager.default.removeItem(atPath: account.archivePath + "-shm")
        let garbage = try kith(["contacts"], config: account.configPath)
        #expect(garbage.status == 2)
        #expect(garbage.errors.hasPrefix("kith: archive \(account.archivePath): "), "\(garbage.errors)")
        #expect(!garbage.errors.contains("Fatal error") && !garbage.errors.contains("Stack"))
    }
}

@Suite struct ReportTests {
    @Test func reportIsOneSelfContainedPageWithChartsAndTheTopPeople() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kith").path
        let account = try TestAccount(messages: 200, seed: 25, extraAccountLines: "closes_on = 2027-03-31")
        let environment = ["KITH_CONFIG": account.configPath, "KITH_NOW": "2027-03-01"]
        #expect(try ChildProcess.run([binary, "harvest"], environment: environment, timeoutSeconds: 120).status == 0)
        let output = account.directory.appendingPathComponent("report.html").path
        let result = try ChildProcess.run([binary, "report", "--output", output], environment: environment, timeoutSeconds: 120)
        #expect(result.status == 0, "\(String(decoding: result.errorOutput, as: UTF8.self))")
        let html = try String(contentsOfFile: output, encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://") && !html.contains("@import") && !html.contains("url("),
                "no scripts, fonts or anything fetched")
        #expect(html.components(separatedBy: "<svg").count - 1 == 2, "the timeline and the automated share are inline SVG")
        #expect(html.contains("aria-label=\"career timeline\""))
        #expect(html.contains("closing in 30 days"))
        let people = account.mailbox.expectedContacts().values.filter { !$0.automated }
        let strongest = try ChildProcess.run([binary, "contacts", "--json", "--limit", "1"], environment: environment, timeoutSeconds: 120)
        let star = try #require(try JSONSerialization.jsonObject(with: Data(strongest.output)) as? [[String: Any]]).first?["email"] as? String
        #expect(html.contains(try #require(star)), "the strongest relationship is listed")
        #expect(html.contains("<th>Strength</th>"))
        #expect(html.contains("<b>\(people.count)</b><span>people</span>"))
    }
}
