import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

/// A real Dovecot configured to look like another server, with the sample mailbox laid out the way that
/// server lays it out; kith reaches it through a recording proxy that counts commands and replies.
private final class Personality {
    let server: DovecotServer
    let proxy: FaultProxy
    let account: AccountConfig
    let archive: Archive
    /// The sample as a standard server would hold it: what the contacts must equal.
    let model: SampleMailbox

    init(_ personality: DovecotServer.Personality, messages: Int, seed: UInt64, layout: (SampleMailbox) -> [(SampleMessage, draft: Bool)]) throws {
        server = try DovecotServer(users: ["owner": "personality-pw"], personality: personality)
        model = SampleMailbox.generate(count: messages, seed: seed)
        for (index, (message, draft)) in layout(model).enumerated() {
            try message.write(to: server.maildir(), fileName: "\(1_600_000_000 + index).M\(index)P1.kith", draft: draft)
        }
        try server.start()
        // Records every command; the answer it looks for never comes.
        proxy = try FaultProxy(upstreamPort: server.port, fault: .answerAndClose(command: "\u{1}never", occurrences: [], reply: ""))
        let directory = server.root.appendingPathComponent("kith")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let passwordFile = directory.appendingPathComponent("password").path
        try SampleConfig.writePasswordFile("personality-pw", to: passwordFile)
        account = AccountConfig(name: "acme", url: "imap://127.0.0.1:\(proxy.port)", username: "owner", password: .file(passwordFile),
                                addresses: model.ownerAddresses, allowPlaintext: true)
        archive = try Archive(path: directory.appendingPathComponent("archive.sqlite").path)
    }

    func harvest() -> HarvestReport { Harvester(archive: archive, logger: quietLogger()).harvest(account) }

    /// Commands of the `connection`-th session after login (libcurl's CAPABILITY and AUTHENTICATE left out), without tags.
    func commands(connection: Int) -> [String] {
        let all = proxy.commandLog.filter { $0.connection == connection }.map { String($0.line.drop { $0 != " " }.dropFirst()) }
        return Array(all.drop { !$0.hasPrefix("AUTHENTICATE") && !$0.hasPrefix("LOGIN") }.dropFirst())
    }

    /// Header FETCH replies the server sent so far.
    var headerReplies: Int {
        String(decoding: proxy.recordedServerBytes, as: UTF8.self).components(separatedBy: "BODY[HEADER.FIELDS").count - 1
    }
}

@Suite(.serialized) struct ServerPersonalityTests {
    /// Exchange Online in German and in French: no SPECIAL-USE, localized role names, folders without mail.
    @Test(arguments: [
        ["Sent": "Gesendete Elemente", "Junk": "Junk-E-Mail", "Trash": "Gelöschte Elemente", "Drafts": "Entwürfe",
         "no mail": "Kalender|Kontakte|Aufgaben|Synchronisierungsprobleme/Konflikte|Postausgang"],
        ["Sent": "Éléments envoyés", "Junk": "Courrier indésirable", "Trash": "Éléments supprimés", "Drafts": "Brouillons",
         "no mail": "Calendrier|Contacts|Tâches|Problèmes de synchronisation|Boîte d'envoi"],
    ])
    func exchangeReadsOnlyCorrespondence(names: [String: String]) throws {
        let noMail = names["no mail"]!.split(separator: "|").map(String.init)
        let exchange = try Personality(.exchange, messages: 160, seed: 83) { model in
            // Mail that must not count: a second sample spread over the folders that hold none.
            let stray = SampleMailbox.generate(count: 40, seed: 84, firstIndex: 50_000, peopleOffset: 9_000).messages
            return model.messages.map { message in
                var renamed = message
                renamed.folder = names[message.folder] ?? message.folder
                return (renamed, false)
            } + stray.enumerated().map { index, message in
                var moved = message
                moved.folder = noMail[index % noMail.count]
                return (moved, false)
            }
        }
        let report = exchange.harvest()
        #expect(report.error == nil, "\(report.summary)")
        try expectArchiveMatchesModel(exchange.archive, exchange.model)
        let first = exchange.commands(connection: 1)
        #expect(!first.contains { $0.contains("RETURN") }, "no RETURN options to a server that offers none: \(first.filter { $0.hasPrefix("LIST") })")
        let examined = first.filter { $0.hasPrefix("EXAMINE") }.map { String($0.dropFirst(8)) }.sorted()
        #expect(examined.count == SampleMailbox.harvestedFolders.count, "\(examined)")
        let distinctInHarvested = exchange.model.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) }.count
        #expect(exchange.headerReplies == distinctInHarvested, "one header reply per message in a folder read")

        // A no-op: LIST with the STATUS of each known folder in one round trip, nothing opened.
        let again = exchange.harvest()
        #expect(again.foldersUnchanged == SampleMailbox.harvestedFolders.count && again.foldersHarvested == 0, "\(again.summary)")
        let noop = exchange.commands(connection: 2)
        #expect(noop.first == "CAPABILITY" && noop.last == "LOGOUT", "\(noop)")
        // Three round trips after login: CAPABILITY; every STATUS with LIST pipelined behind them; LOGOUT.
        #expect(noop.count == 3 + SampleMailbox.harvestedFolders.count && noop[noop.count - 2] == "LIST \"\" \"*\"", "\(noop)")
        #expect(noop.dropFirst().dropLast(2).allSatisfy { $0.hasPrefix("STATUS") }, "\(noop)")
        #expect(noop.filter { $0.hasPrefix("STATUS") }.count == SampleMailbox.harvestedFolders.count)

        // The final export takes every folder that holds mail, drafts and the outbox included, by the same
        // localized roles: not junk, trash, or the calendar, contacts, tasks and sync-issue folders.
        let directory = exchange.server.root.appendingPathComponent("kith/export").path
        let manifest = try FinalExporter(archive: exchange.archive, logger: quietLogger()).export(exchange.account, to: directory)
        let exported = Set(manifest.folders.map(\.name))
        for folder in ["INBOX", names["Sent"]!, names["Drafts"]!, "Archive", "Projects/Kith"] { #expect(exported.contains(folder), "\(folder) exported: \(exported)") }
        for folder in [names["Junk"]!, names["Trash"]!] + noMail.filter({ !$0.hasPrefix("Post") && !$0.hasPrefix("Boîte") }) {
            #expect(!exported.contains(folder), "\(folder) not exported: \(exported)")
        }
        #expect(manifest.folders.first { $0.name == names["Drafts"]! }?.role == "drafts")
    }

    /// Gmail: every message in [Gmail]/All Mail, labels holding copies, drafts in All Mail flagged \Draft.
    @Test func gmailReadsAllMailOnceAndSkipsDrafts() throws {
        var allMail = 0
        let gmail = try Personality(.gmail, messages: 400, seed: 89) { model in
            var layout: [(SampleMessage, draft: Bool)] = []
            var inAllMail: Set<String> = []
            for message in model.messages {
                var copy = message
                switch message.folder {
                case "INBOX", "Sent", "Archive", "Projects/Kith":
                    if inAllMail.insert(message.logicalID).inserted {
                        copy.folder = "[Gmail]/All Mail"
                        layout.append((copy, false))
                    }
                    // Labels: the INBOX and Sent views and a user label hold copies.
                    let label = ["INBOX": "INBOX", "Sent": "[Gmail]/Sent Mail", "Projects/Kith": "Projects/Kith"][message.folder]
                    if let label {
                        copy.folder = label
                        layout.append((copy, false))
                    }
                case "Drafts":
                    copy.folder = "[Gmail]/All Mail"
                    layout.append((copy, true))
                    copy.folder = "[Gmail]/Drafts"
                    layout.append((copy, true))
                default:
                    copy.folder = message.folder == "Junk" ? "[Gmail]/Spam" : "[Gmail]/Trash"
                    layout.append((copy, false))
                }
            }
            allMail = layout.filter { $0.0.folder == "[Gmail]/All Mail" }.count
            return layout
        }
        let report = gmail.harvest()
        #expect(report.error == nil, "\(report.summary)")
        try expectArchiveMatchesModel(gmail.archive, gmail.model)
        let commands = gmail.commands(connection: 1)
        #expect(commands.filter { $0.hasPrefix("EXAMINE") } == ["EXAMINE \"[Gmail]/All Mail\""], "\(commands)")
        #expect(gmail.headerReplies == allMail, "each message fetched once, not once per label")
        #expect(report.draftsSkipped == gmail.model.messages.filter { $0.folder == "Drafts" }.count)
        #expect(report.draftsSkipped > 0, "the sample must hold drafts for this test to mean anything")
    }

    /// Gmail's extension and UIDs: X-GM-MSGID identifies messages without a Message-ID, and All Mail's
    /// UIDs lie 40,000 apart under a UIDNEXT in the hundreds of millions (a scripted server: Dovecot has neither).
    @Test func gmailMessageIdsAndSparseUIDsCostACoupleOfCommands() throws {
        let sample = SampleMailbox.generate(count: 120, seed: 97)
        var seen: Set<String> = []
        let distinct = sample.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) && seen.insert($0.logicalID).inserted }
        let first: UInt32 = 300_000_000, step: UInt32 = 40_000
        let server = try FakeIMAPServer(mailboxes: [
            FakeIMAPServer.mailbox("INBOX", messages: Array(distinct.prefix(12))),
            FakeIMAPServer.mailbox("[Gmail]/All Mail", messages: distinct, firstUID: first, step: step,
                                   uidNext: first + UInt32(distinct.count) * step, attributes: ["\\All"]),
            FakeIMAPServer.mailbox("Clients", messages: Array(distinct.suffix(9))),
        ], capabilities: "LITERAL+ SPECIAL-USE X-GM-EXT-1")
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-gmail")
        let passwordFile = directory.appendingPathComponent("pw").path
        try SampleConfig.writePasswordFile("fake-pw", to: passwordFile)
        let account = AccountConfig(name: "acme", url: server.url, username: "owner", password: .file(passwordFile),
                                    addresses: sample.ownerAddresses, allowPlaintext: true)
        let archivePath = directory.appendingPathComponent("archive.sqlite").path
        let archive = try Archive(path: archivePath)
        let report = Harvester(archive: archive, logger: quietLogger()).harvest(account)
        #expect(report.error == nil, "\(report.summary)")
        try expectArchiveMatchesModel(archive, SampleMailbox(ownerAddresses: sample.ownerAddresses, messages: distinct))

        let commands = server.receivedCommands
        #expect(commands.filter { $0.hasPrefix("EXAMINE") } == ["EXAMINE \"[Gmail]/All Mail\""])
        let fetches = commands.filter { $0.hasPrefix("UID FETCH") }
        #expect(fetches.count == 2, "the UIDs that exist, then one chunk: \(fetches.map { $0.prefix(60) })")
        #expect(fetches.last?.contains("X-GM-MSGID") == true)
        let withoutMessageID = distinct.filter { $0.messageID == nil }.count
        #expect(withoutMessageID > 0, "the sample must hold mail without Message-ID for this test to mean anything")
        let query = "select count(*) from message where identity like 'x-gm-msgid:%'"
        let counted = try ChildProcess.run(["python3", "-c", "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])",
                                            archivePath, query], environment: ProcessInfo.processInfo.environment, timeoutSeconds: 30)
        #expect(String(decoding: counted.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == String(withoutMessageID))
    }

    /// Dovecot: STATUS goes before LIST (a folder touched after LIST is re-scanned), in one round trip.
    @Test func statusBeforeListOnDovecot() throws {
        let dovecot = try Personality(.standard, messages: 120, seed: 101) { model in model.messages.map { ($0, false) } }
        #expect(dovecot.harvest().error == nil)
        try expectArchiveMatchesModel(dovecot.archive, dovecot.model)
        let again = dovecot.harvest()
        #expect(again.foldersHarvested == 0 && again.foldersUnchanged == SampleMailbox.harvestedFolders.count, "\(again.summary)")
        let noop = dovecot.commands(connection: 2)
        #expect(noop.first == "CAPABILITY" && noop.suffix(2) == ["LIST \"\" \"*\" RETURN (SPECIAL-USE)", "LOGOUT"], "\(noop)")
        #expect(noop.filter { $0.hasPrefix("STATUS") }.count == SampleMailbox.harvestedFolders.count && !noop.contains { $0.contains("STATUS (") && $0.hasPrefix("LIST") })
    }

    /// `kith harvest --log-level info` says which folders it skipped and why.
    @Test func infoLogNamesSkippedFoldersAndWhy() throws {
        let account = try TestAccount(messages: 400, seed: 103)
        let harvest = try kith(["harvest", "--log-level", "info"], config: account.configPath)
        #expect(harvest.status == 0, "\(harvest.errors)")
        let present = Set(account.mailbox.messages.map(\.folder))
        for (folder, reason) in [("Junk", "junk (\\Junk)"), ("Trash", "trash (\\Trash)"), ("Drafts", "drafts (\\Drafts)")] where present.contains(folder) {
            #expect(harvest.errors.split(separator: "\n").contains { $0.contains("folder skipped: \(reason)") && $0.contains(folder) },
                    "\(folder): \(harvest.errors)")
        }
    }
}
