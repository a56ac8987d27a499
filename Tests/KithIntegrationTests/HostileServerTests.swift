import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

/// A fake server holding INBOX (UIDs from 1) and Archive (UIDs from 1001), a config pointing at it, and the model.
private struct FakeAccount {
    let server: FakeIMAPServer
    let account: AccountConfig
    let archive: Archive
    let model: SampleMailbox
    let directory: URL
    let configPath: String
    let inboxCount: Int

    init(seed: UInt64 = 41, capabilities: String = "LITERAL+", refuseSynchronizingLiterals: Bool = false,
         extraMailboxes: [FakeIMAPServer.Mailbox] = [], script: @escaping FakeIMAPServer.Script) throws {
        let sample = SampleMailbox.generate(count: 60, seed: seed)
        let inbox = sample.messages.filter { $0.folder == "INBOX" }
        let archived = sample.messages.filter { $0.folder == "Archive" }
        model = SampleMailbox(ownerAddresses: sample.ownerAddresses, messages: inbox + archived)
        inboxCount = Set(inbox.map(\.logicalID)).count
        server = try FakeIMAPServer(mailboxes: [
            FakeIMAPServer.mailbox("INBOX", messages: inbox),
            FakeIMAPServer.mailbox("Archive", messages: archived, firstUID: 1001),
        ] + extraMailboxes, capabilities: capabilities, refuseSynchronizingLiterals: refuseSynchronizingLiterals, script: script)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let passwordFile = directory.appendingPathComponent("pw").path
        try SampleConfig.writePasswordFile("fake-pw", to: passwordFile)
        configPath = directory.appendingPathComponent("kith.toml").path
        try ("[archive]\npath = \"\(directory.path)/archive.sqlite\"\nexport_dir = \"\(directory.path)/exports\"\n" + SampleConfig.accountBlock(
            name: "acme", url: server.url, username: "owner", passwordFile: passwordFile,
            addresses: sample.ownerAddresses)).write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(path: configPath)
        account = config.accounts[0]
        archive = try Archive(path: config.archive.path)
    }

    func harvester(commandTimeout: Int = 60) -> Harvester {
        var harvester = Harvester(archive: archive, logger: quietLogger())
        harvester.readTimeoutSeconds = 2
        harvester.commandTimeoutSeconds = commandTimeout
        return harvester
    }
}

/// One hostile answer, the connection it comes on (the first), and what the error must name.
struct HostileCase: Sendable, CustomTestStringConvertible {
    var name: String
    var trigger: String
    var action: FakeIMAPServer.Action
    var mentions: String
    var testDescription: String { name }
}

@Suite(.serialized) struct HostileServerTests {
    /// Archive's header FETCH: its UIDs from 1001 are planned from 1, the cursor, to the last that exists.
    static let archiveHeaderFetch = "UID FETCH 1:10"
    static let cases: [HostileCase] = [
        HostileCase(name: "a 2^63 literal in the middle of a FETCH line", trigger: archiveHeaderFetch,
                    action: .reply("* 1 FETCH (UID 1001 BODY[HEADER.FIELDS (FROM)] {9223372036854775808} NIL)\r\nTAG OK done\r\n"),
                    mentions: "literal size {9223372036854775808} out of range"),
        HostileCase(name: "a 2^63 literal in the middle of a LIST line", trigger: "LIST \"\"",
                    action: .reply("* LIST () \"/\" {9223372036854775808} x\r\nTAG OK done\r\n"), mentions: "9223372036854775808"),
        HostileCase(name: "UIDNEXT beyond 2^32-1", trigger: "EXAMINE \"Archive\"",
                    action: .reply("* 3 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [UIDNEXT 4294967296] x\r\nTAG OK done\r\n"), mentions: "UIDNEXT 4294967296"),
        HostileCase(name: "four million untagged RECENT lines", trigger: "EXAMINE \"Archive\"",
                    action: .flood(line: "* 1 RECENT\r\n", count: 1_001_000), mentions: "flooding"),
        HostileCase(name: "a literal trickling one byte every 300 ms", trigger: archiveHeaderFetch,
                    action: .trickle("* 1 FETCH (UID 1001 BODY[HEADER.FIELDS (FROM)] {40}\r\nFrom: slow@example.org\r\n\r\n" + String(repeating: "x", count: 40) + ")\r\n", milliseconds: 300),
                    mentions: "did not complete within 3 s"),
    ]

    /// Each ends in a clear error naming the value, nothing archived is lost, and the next harvest completes.
    @Test(arguments: cases) func hostileAnswerEndsInAClearErrorAndTheNextHarvestCompletes(_ hostile: HostileCase) throws {
        let fake = try FakeAccount { connection, _, command in
            connection == 1 && command.contains(hostile.trigger) && !command.hasSuffix("(UID)") ? hostile.action : .standard
        }
        let started = Date()
        let report = fake.harvester(commandTimeout: 3).harvest(fake.account)
        let error = try #require(report.error, "the hostile answer must fail the harvest: \(report.summary)")
        #expect(error.description.contains(hostile.mentions), "\(error)")
        #expect(error.description.contains("account \"acme\""), "\(error)")
        #expect(Date().timeIntervalSince(started) < 30)
        if hostile.trigger.hasPrefix("LIST") {
            // LIST comes first (with the known folders' STATUS): nothing was read, nothing half-written.
            #expect(try fake.archive.messageCount() == 0)
        } else {
            #expect(try fake.archive.messageCount() >= fake.inboxCount, "INBOX, read before the hostile answer, stays archived")
        }
        let clean = fake.harvester().harvest(fake.account)
        #expect(clean.error == nil, "\(clean.summary)")
        try expectArchiveMatchesModel(fake.archive, fake.model)
    }

    /// Exchange sometimes ends a FETCH with OK and no data for some UIDs: counted missing, not fetched again.
    @Test func uidsAnsweredWithoutDataAreCountedMissingOnce() throws {
        let fake = try FakeAccount { _, _, command in
            command.contains(Self.archiveHeaderFetch) && !command.hasSuffix("(UID)") ? .withoutData([1002, 1005]) : .standard
        }
        let report = fake.harvester().harvest(fake.account)
        #expect(report.error == nil && report.missingMessages == 2, "\(report.summary)")
        #expect(report.summary.contains("2 messages listed by the server came without data"))
        #expect(try fake.archive.missingMessages(account: "acme") == 2)
        let before = fake.server.receivedCommands.count
        let again = fake.harvester().harvest(fake.account)
        #expect(again.error == nil && again.missingMessages == 0, "\(again.summary)")
        #expect(!fake.server.receivedCommands[before...].contains { $0.hasPrefix("UID FETCH") }, "not asked for again")
        let status = try kith(["status", "--json"], config: fake.configPath)
        #expect(status.output.contains("\"missing_messages\" : 2"), "\(status.output)")
    }

    @Test func uidZeroIsIgnored() throws {
        let header = "From: zero@uid-zero.example\r\n\r\n"
        let fake = try FakeAccount { _, _, command in
            command.contains(HostileServerTests.archiveHeaderFetch) && !command.hasSuffix("(UID)")
                ? .prefix("* 9 FETCH (UID 0 INTERNALDATE \"01-Jan-2024 10:00:00 +0000\" BODY[HEADER.FIELDS (FROM)] {\(header.utf8.count)}\r\n\(header))\r\n")
                : .standard
        }
        let report = fake.harvester().harvest(fake.account)
        #expect(report.error == nil, "\(report.summary)")
        #expect(fake.server.receivedCommands.contains { $0.contains(Self.archiveHeaderFetch) && !$0.hasSuffix("(UID)") }, "the UID 0 reply was sent")
        try expectArchiveMatchesModel(fake.archive, fake.model)
    }

    @Test func folderNamesOverAKilobyteAreSkippedWithAWarning() throws {
        let long = String(repeating: "n", count: 4000)
        let fake = try FakeAccount { _, _, command in
            command.hasPrefix("LIST") ? .prefix("* LIST () \"/\" {\(long.utf8.count)}\r\n\(long)\r\n") : .standard
        }
        let report = fake.harvester().harvest(fake.account)
        #expect(report.error == nil && report.failingFolders.isEmpty, "\(report.summary)")
        #expect(!fake.server.receivedCommands.contains { $0.contains(long) }, "never EXAMINEd")
        let folders = try fake.archive.folders(accountID: try fake.archive.accountID(named: "acme"))
        #expect(folders.allSatisfy { $0.name.count <= 1024 } && folders.count == 2)
        try expectArchiveMatchesModel(fake.archive, fake.model)
    }

    @Test func uidNextAtTwoToTheThirtyTwoMinusOneCostsAFewCommands() throws {
        let sample = SampleMailbox.generate(count: 30, seed: 43).messages.filter { $0.folder == "Sent" }
        let far = FakeIMAPServer.mailbox("Sent", messages: sample, firstUID: 4_000_000_000, step: 1_000_000, uidNext: 4_294_967_295)
        let fake = try FakeAccount(extraMailboxes: [far]) { _, _, _ in .standard }
        let report = fake.harvester().harvest(fake.account)
        #expect(report.error == nil, "\(report.summary)")
        let commands = fake.server.receivedCommands
        let sent = try #require(commands.firstIndex(of: "EXAMINE \"Sent\""))
        let fetches = commands[sent...].prefix { !$0.hasPrefix("EXAMINE") || $0 == "EXAMINE \"Sent\"" }.filter { $0.hasPrefix("UID FETCH") }
        // One UID list and one chunk, not 4.3 million chunks.
        #expect(fetches.count == 2, "\(fetches.map { $0.prefix(40) })")
        #expect(fetches.contains { $0.hasPrefix("UID FETCH 1:4294967294 (UID)") })
        let before = fake.server.receivedCommands.count
        #expect(fake.harvester().harvest(fake.account).error == nil)
        #expect(!fake.server.receivedCommands[before...].contains { $0.hasPrefix("UID FETCH") }, "a no-op harvest fetches nothing")
    }

    @Test func withoutLiteralPlusAMailboxLiteralWaitsForTheServer() throws {
        let odd = FakeIMAPServer.Mailbox(name: "Écrits", messages: [])
        for refuse in [false, true] {
            let fake = try FakeAccount(capabilities: "", refuseSynchronizingLiterals: refuse, extraMailboxes: [odd]) { _, _, _ in .standard }
            let report = fake.harvester().harvest(fake.account)
            #expect(report.error == nil, "\(report.summary)")
            let commands = fake.server.receivedCommands
            #expect(!commands.contains { $0.contains("{7+}") }, "no LITERAL+ without the capability: \(commands)")
            if refuse {
                #expect(report.failingFolders == [FolderFailure(folder: "Écrits", reason: "NO literals are not accepted here")])
                #expect(commands.contains("EXAMINE {7} (refused)"))
                #expect(!commands.contains { $0.hasPrefix("Écrits") }, "the rest of a refused command is never read as a command: \(commands)")
            } else {
                #expect(report.failingFolders.isEmpty)
                #expect(commands.contains("EXAMINE {7}\r\nÉcrits"), "\(commands)")
            }
            try expectArchiveMatchesModel(fake.archive, fake.model)
        }
    }

    @Test func hostileSizesEndTheFinalExportClearlyAndARetryCompletes() throws {
        let fake = try FakeAccount { connection, _, command in
            guard command.contains("RFC822.SIZE"), command.contains("UID FETCH 1:") else { return .standard }
            switch connection {
            case 1: return .reply("* 1 FETCH (UID 1 RFC822.SIZE 18446744073709551615)\r\nTAG OK done\r\n")
            case 2: return .reply("* 1 FETCH (UID 1 RFC822.SIZE 9223372036854775807)\r\nTAG OK done\r\n")
            default: return .standard
            }
        }
        let exporter = FinalExporter(archive: fake.archive, logger: quietLogger(), harvester: fake.harvester())
        let directory = fake.directory.appendingPathComponent("export").path
        #expect { try exporter.export(fake.account, to: directory) } throws: { "\($0)".contains("folder \"INBOX\": malformed response (RFC822.SIZE") }
        #expect { try exporter.export(fake.account, to: directory) } throws: { "\($0)".contains("RFC822.SIZE 9223372036854775807 is beyond") }
        let manifest = try exporter.export(fake.account, to: directory)
        #expect(manifest.complete, "\(manifest.summary)")
        #expect(manifest.exportedMessages == fake.model.messages.count)
    }

    /// Escape bytes in a LIST name and in a NO text reach neither the terminal nor the log raw, and a
    /// folder name holding "\n<0>" cannot forge a journald record.
    @Test func serverTextIsMadeSafeInOutputAndLogs() throws {
        let evil = FakeIMAPServer.Mailbox(name: "Evil\u{1B}[2J\u{202E}gpj.exe", messages: [])
        let forged = FakeIMAPServer.Mailbox(name: "x", messages: [])
        let fake = try FakeAccount(extraMailboxes: [evil, forged]) { _, _, command in
            if command.hasPrefix("LIST") {
                return .reply("* LIST () \"/\" INBOX\r\n* LIST () \"/\" \"Evil\u{1B}[2J\u{202E}gpj.exe\"\r\n* LIST () \"/\" {11}\r\nx\n<0>forged\r\nTAG OK done\r\n")
            }
            if command.hasPrefix("EXAMINE"), !command.contains("INBOX") {
                return .reply("TAG NO [SERVERBUG] denied\u{1B}]0;owned\u{07}\u{9B}31m\r\n")
            }
            return .standard
        }
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_CONFIG"] = fake.configPath
        environment["JOURNAL_STREAM"] = "8:1234"
        for arguments in [["harvest", "--log-level", "info"], ["status"], ["status", "--json"]] {
            let result = try ChildProcess.run([kithBinary] + arguments, environment: environment, timeoutSeconds: 60)
            let output = String(decoding: result.output, as: UTF8.self), errors = String(decoding: result.errorOutput, as: UTF8.self)
            for text in [output, errors] {
                #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{7}" || $0 == "\u{9B}" || $0 == "\u{202E}" }, "\(arguments): \(text)")
            }
            if arguments == ["harvest", "--log-level", "info"] {
                #expect(result.status == 1, "two folders failing make the harvest partial")
                #expect(output.contains("PARTIAL: 2 folders failing"), "\(output)")
                #expect(output.contains("Evil\\u001b[2J\\u202egpj.exe: NO [SERVERBUG] denied\\u001b]0;owned\\u0007\\u009b31m"), "\(output)")
                let lines = errors.split(separator: "\n")
                #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("<") && !$0.hasPrefix("<0>") }, "\(errors)")
                #expect(errors.contains("x\\n<0>forged"), "\(errors)")
            }
            if arguments == ["status"] {
                #expect(output.contains("acme: partial (2 folders failing: "), "\(output)")
            }
        }
    }
}

@Suite(.serialized) struct HostileDaemonTests {
    /// One hostile account (a 2^63 literal on every LIST) beside a good one: the daemon harvests the good
    /// one, records the hostile one's failure, and lives on.
    @Test func oneHostileAccountDoesNotEndTheDaemon() throws {
        let account = try TestAccount(messages: 60, seed: 97, extraAccountLines: "interval = \"1h\"")
        let hostile = try FakeIMAPServer(mailboxes: [FakeIMAPServer.Mailbox(name: "INBOX", messages: [])]) { _, _, command in
            command.hasPrefix("LIST") ? .reply("* LIST () \"/\" {9223372036854775808} x\r\nTAG OK done\r\n") : .standard
        }
        let config = try String(contentsOfFile: account.configPath, encoding: .utf8)
        let block = String(config[config.range(of: "[[account]]")!.lowerBound...])
            .replacingOccurrences(of: "name = \"acme\"", with: "name = \"hostile\"")
            .replacingOccurrences(of: account.server.url, with: hostile.url)
        try (config + "\n" + block).write(toFile: account.configPath, atomically: true, encoding: .utf8)
        let daemon = try BackgroundProcess([kithBinary, "daemon", "--log-level", "info"], environment: [
            "KITH_CONFIG": account.configPath, "PATH": "/usr/bin:/bin",
        ], logFile: account.directory.appendingPathComponent("daemon.log").path)
        defer { daemon.signal(SIGKILL) }
        let deadline = Date().addingTimeInterval(60)
        var summaries: [String: AccountSummary] = [:]
        while Date() < deadline {
            if let archive = try? Archive(path: account.archivePath, create: false) {
                summaries = Dictionary(uniqueKeysWithValues: ((try? archive.accountSummaries()) ?? []).map { ($0.name, $0) })
            }
            if summaries["acme"]?.lastSuccessAt != nil && summaries["hostile"]?.lastError != nil { break }
            usleep(100_000)
        }
        #expect(summaries["acme"]?.lastSuccessAt != nil, "the good account was harvested: \(daemon.output)")
        #expect(summaries["hostile"]?.lastError?.contains("9223372036854775808") == true, "\(String(describing: summaries["hostile"]?.lastError))")
        #expect(daemon.waitForExit(timeout: 1) == nil, "the daemon lives on: \(daemon.output)")
        let status = try kith(["status"], config: account.configPath)
        #expect(status.output.contains("hostile: failing since"), "\(status.output)")
        #expect(status.output.contains("acme: ok;"), "\(status.output)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0, "\(daemon.output)")
    }
}
