import Foundation
import Testing
import KithArchive
import KithTestSupport

/// `kith fading`, `kith ignore` and `kith forget` on a mailbox of relationships in known states (RelationshipMailbox),
/// harvested from Dovecot, plus an old job's mbox imported into an archive-only account.
@Suite(.serialized) struct KeepInTouchTests {
    let clock = ["KITH_NOW": RelationshipMailbox.nowText]

    func fading(_ account: TestAccount, _ extra: [String] = []) throws -> [[String: Any]] {
        let result = try kith(["fading", "--json"] + extra, config: account.configPath, environment: clock)
        #expect(result.status == 0, "\(result.errors)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
    }

    /// Harvests the relationship mailbox and imports the old job's mbox into `oldjob`.
    func preparedAccount() throws -> TestAccount {
        let account = try TestAccount(messages: 0, mailbox: RelationshipMailbox.mailbox())
        let harvest = try kith(["harvest"], config: account.configPath)
        #expect(harvest.status == 0, "\(harvest.errors)")
        let old = RelationshipMailbox.mailbox(people: [RelationshipMailbox.formerColleague], owner: RelationshipMailbox.formerOwner, extras: false)
        let mbox = account.directory.appendingPathComponent("oldjob.mbox").path
        try Data(old.messages.map { SampleMailbox.mboxEntry($0) }.joined().utf8).write(to: URL(fileURLWithPath: mbox))
        let imported = try kith(["import", "--account", "oldjob", "--address", RelationshipMailbox.formerOwner, mbox], config: account.configPath)
        #expect(imported.status == 0, "\(imported.errors)")
        return account
    }

    @Test func strongRelationshipsGoneQuietAreListedMostLostFirst() throws {
        let account = try preparedAccount()
        let people = try fading(account)
        // Grace: 53.6 × log2(200/7); Linus (closed job): 43.9 × log2(400/14); Alan: 28.1 × log2(150/30).
        #expect(people.map { $0["email"] as? String } == ["grace@navy.example", "linus@oldjob.example", "alan@bletchley.example"])
        let grace = try #require(people.first)
        #expect(grace["name"] as? String == "Grace Hopper")
        #expect((grace["strength"] as? [String: Double])?["past"] == 53.6)
        #expect(((grace["strength"] as? [String: Double])?["now"] ?? 99) < 53.6, "strength decays with the quiet")
        #expect(grace["usual_gap_days"] as? Double == 7)
        #expect(grace["overdue_factor"] as? Double == 28.6)
        #expect(grace["quiet_days"] as? Int == 200)
        #expect(grace["last_seen"] as? String == "2025-11-13T12:00:00Z")
        #expect(grace["accounts"] as? [String] == ["acme"])
        #expect(grace["addresses"] as? [String] == ["grace@navy.example"])
        #expect(people[1]["accounts"] as? [String] == ["oldjob"], "colleagues from a closed job are who fades")

        #expect(try fading(account, ["--account", "acme"]).map { $0["email"] as? String } == ["grace@navy.example", "alan@bletchley.example"])
        #expect(try fading(account, ["--limit", "1"]).count == 1)
        let table = try kith(["fading"], config: account.configPath, environment: clock)
        #expect(table.output.contains("Grace Hopper") && table.output.contains("28.6x"), "\(table.output)")

        // Left out: active (Ada), within its rhythm (Quarterly), a one-off, the newsletter, the all-hands sender and crowd.
        let listed = Set(people.compactMap { $0["email"] as? String })
        for email in ["ada@engines.example", "quarterly@board.example", "once@example.org", RelationshipMailbox.newsletter, RelationshipMailbox.chief]
            + RelationshipMailbox.crowd {
            #expect(!listed.contains(email), "\(email) is not fading")
        }
        // The same people are in the archive: leaving them out is the rule's doing, not the harvest's.
        let contacts = try kith(["contacts", "--json", "--include-automated"], config: account.configPath, environment: clock)
        for email in ["ada@engines.example", "quarterly@board.example", "once@example.org", RelationshipMailbox.newsletter, RelationshipMailbox.chief, "crowd07@acme.example"] {
            #expect(contacts.output.contains("\"\(email)\""), "\(email) is archived")
        }
    }

    @Test func theReportShowsFadingAndStrongTiesPerYearForEachJob() throws {
        let account = try preparedAccount()
        let report = account.directory.appendingPathComponent("report.html").path
        #expect(try kith(["report", "--output", report], config: account.configPath, environment: clock).status == 0)
        let page = try String(contentsOfFile: report, encoding: .utf8)
        let fading = try #require(page.range(of: "<section id=\"fading\">").map { page[$0.lowerBound...] }
            .flatMap { section in section.range(of: "</section>").map { String(section[..<$0.upperBound]) } })
        #expect(fading.contains("Grace Hopper<small>grace@navy.example</small></td><td class=\"d\">2025-11-13</td><td class=\"n\">every 7 days</td>"), "\(fading)")
        #expect(fading.contains("28.6x") && fading.contains("Linus Torvalds") && fading.contains("Alan Turing") && !fading.contains("Ada Lovelace"))
        // Strength ≥ 20 from one year's mail of one job (docs/strength.md works these out).
        for tie in ["acme 2025: 4 strong ties", "acme 2026: 1 strong tie", "oldjob 2024: 1 strong tie", "oldjob 2025: 1 strong tie"] {
            #expect(page.contains("<title>\(tie)</title>"), "\(tie)")
        }
        #expect(!page.contains("<title>acme 2024:"), "the quarterly reviewer's 2024 (14.4) is not a strong tie")
    }

    @Test func ignoredAddressesLeaveEveryListAndComeBack() throws {
        let account = try preparedAccount()
        #expect(try kith(["ignore", "navy.example", "crowd*@acme.example"], config: account.configPath).status == 0)
        #expect(try kith(["ignore", "--list"], config: account.configPath).output == "crowd*@acme.example\nnavy.example\n")
        #expect(try fading(account).map { $0["email"] as? String } == ["linus@oldjob.example", "alan@bletchley.example"])
        let contacts = try kith(["contacts", "--json"], config: account.configPath, environment: clock).output
        #expect(!contacts.contains("grace@navy.example") && !contacts.contains("crowd07@acme.example") && contacts.contains("ada@engines.example"))
        let vcard = try kith(["export", "--format", "vcard"], config: account.configPath).output
        #expect(!vcard.contains("grace@navy.example") && vcard.contains("ada@engines.example"))
        #expect(try kith(["ignore", "not an address"], config: account.configPath).status == 2)

        #expect(try kith(["unignore", "navy.example"], config: account.configPath).status == 0)
        #expect(try fading(account).first?["email"] as? String == "grace@navy.example", "what was harvested was kept")
        #expect(try kith(["unignore", "navy.example"], config: account.configPath).status == 1)
    }

    @Test func forgottenPeopleAreErasedAndStayOut() throws {
        let account = try preparedAccount()
        let linkedIn = account.directory.appendingPathComponent("Connections.csv").path
        try "First Name,Last Name,URL,Email Address,Company,Position,Connected On\nAlan,Turing,https://www.linkedin.com/in/alan,alan@bletchley.example,Bletchley,Codebreaker,01 Jan 2020\n"
            .write(toFile: linkedIn, atomically: true, encoding: .utf8)
        #expect(try kith(["import-linkedin", linkedIn], config: account.configPath).status == 0)
        #expect(try kith(["link", "alan@bletchley.example", "alan.turing@manchester.example"], config: account.configPath).status == 0)

        let refused = try kith(["forget", "Alan Turing"], config: account.configPath)
        #expect(refused.status == 1 && refused.errors.contains("--yes"), "without a terminal it asks for --yes: \(refused.errors)")
        let forgot = try kith(["forget", "--yes", "Alan Turing"], config: account.configPath)
        #expect(forgot.status == 0, "\(forgot.errors)")
        #expect(forgot.output.contains("forgot alan.turing@manchester.example, alan@bletchley.example: 1 addresses, 6 message roles, 1 LinkedIn rows erased"), "\(forgot.output)")
        #expect(try kith(["verify"], config: account.configPath).status == 0)
        let archive = try Archive(path: account.archivePath, create: false)
        #expect(try archive.contacts(ContactFilter(includeIgnored: true)).allSatisfy { !$0.email.contains("alan") })
        #expect(try archive.links().isEmpty)
        #expect(try archive.isForgotten("Alan@Bletchley.example"))
        #expect(try archive.messageCount() == RelationshipMailbox.mailbox().messages.count + 20, "messages stay; only the person's roles go")
        for file in [account.archivePath, account.archivePath + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            for trace in ["Alan Turing", "Codebreaker", "alan.turing@manchester"] {
                #expect(bytes.range(of: Data(trace.utf8)) == nil, "\(trace) is gone from \(file), free pages included")
            }
        }

        // New mail from the same address, a harvest, and the LinkedIn file again: nothing brings Alan back.
        let now = RelationshipMailbox.now
        try account.deliver(RelationshipMailbox.mailbox(people: [RelationshipMailbox.Person(
            email: "alan@bletchley.example", name: "Alan Turing", exchanges: 2, gapDays: 1, lastDaysAgo: 1, fading: false)], extras: false)
            .messages.map { var message = $0; message.logicalID += "-again"; message.messageID = "again-\(message.messageID!)"; message.internalDate = now; return message })
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        #expect(try kith(["import-linkedin", linkedIn], config: account.configPath).status == 0)
        #expect(try archive.contacts(ContactFilter(includeIgnored: true)).allSatisfy { !$0.email.contains("alan") })
        #expect(try archive.linkedInByEmail()["alan@bletchley.example"] == nil)
        #expect(try kith(["verify"], config: account.configPath).status == 0)
        #expect(try archive.messageCount() == RelationshipMailbox.mailbox().messages.count + 22)
    }
}
