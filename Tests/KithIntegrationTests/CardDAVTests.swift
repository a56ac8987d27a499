import Foundation
import Testing
import KithIMAP
import KithTestSupport

/// `kith sync-carddav` against a real Radicale: cards read back with vobject, a second sync changes nothing,
/// a card edited on the server is not overwritten, cards kith did not create are never deleted.
@Suite(.serialized) struct CardDAVTests {
    let clock = ["KITH_NOW": RelationshipMailbox.nowText]

    func configure(_ account: TestAccount, _ server: RadicaleServer, url: String? = nil, password: String? = nil, caFile: String? = nil) throws {
        let passwordFile = account.directory.appendingPathComponent("carddav.password").path
        try SampleConfig.writePasswordFile(password ?? server.password, to: passwordFile)
        var config = try String(contentsOfFile: account.configPath, encoding: .utf8)
        if let range = config.range(of: "\n[carddav]") { config = String(config[..<range.lowerBound]) }
        config += "\n[carddav]\nurl = \"\(url ?? server.url)\"\nusername = \"\(server.user)\"\npassword_file = \"\(passwordFile)\"\nmin_strength = 20\n"
            + (caFile.map { "tls_ca_file = \"\($0)\"\n" } ?? "")
        try config.write(toFile: account.configPath, atomically: true, encoding: .utf8)
    }

    /// More mail with `person`, under message ids of its own.
    func deliverMore(_ person: RelationshipMailbox.Person, to account: TestAccount) throws {
        try account.deliver(RelationshipMailbox.mailbox(people: [person], extras: false).messages.map { message in
            var copy = message
            copy.messageID = "again-\(message.messageID!)"
            return copy
        })
    }

    func sync(_ account: TestAccount) throws -> (status: Int32, output: String, errors: String) {
        try kith(["sync-carddav"], config: account.configPath, environment: clock)
    }

    @Test func cardsForThePeopleWhoMatterAndNothingElseTouched() throws {
        let account = try TestAccount(messages: 0, mailbox: RelationshipMailbox.mailbox())
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        let linkedIn = account.directory.appendingPathComponent("Connections.csv").path
        try "First Name,Last Name,URL,Email Address,Company,Position,Connected On\nAda,Lovelace,https://www.linkedin.com/in/ada,ada@engines.example,Analytical Engines,Programmer,01 Jan 2020\n"
            .write(toFile: linkedIn, atomically: true, encoding: .utf8)
        #expect(try kith(["import-linkedin", linkedIn], config: account.configPath).status == 0)
        let server = try RadicaleServer(directory: account.directory)
        try configure(account, server)
        // The user's own card, which kith must never touch.
        let mine = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:my-own-card\r\nFN:My Dentist\r\nEMAIL:dentist@example.org\r\nEND:VCARD\r\n"
        let put = try CurlTransfer.request("PUT", url: server.url + "my-own-card.vcf", headers: ["Content-Type: text/vcard"], body: Array(mine.utf8),
                                           username: server.user, password: Secret(server.password))
        #expect(put.status == 201)

        let first = try sync(account)
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output == "carddav: 4 created, 0 updated, 0 unchanged, 0 deleted\n", "\(first.output)")
        var cards = try server.cardsReadByVobject()
        // Strength now ≥ 20: Ada (active), Grace and Alan (fading but still strong), the quarterly reviewer; not the one-off (10.3).
        let byEmail = Dictionary(uniqueKeysWithValues: cards.compactMap { card in (card["emails"] as? [String])?.first.map { ($0, card) } })
        #expect(Set(byEmail.keys) == ["ada@engines.example", "grace@navy.example", "alan@bletchley.example", "quarterly@board.example", "dentist@example.org"])
        let ada = try #require(byEmail["ada@engines.example"])
        #expect(ada["version"] as? String == "4.0" && ada["fn"] as? String == "Ada Lovelace")
        #expect(ada["org"] as? String == "Analytical Engines" && ada["title"] as? String == "Programmer")
        #expect((ada["note"] as? String)?.hasPrefix("kith: strength ") == true)
        let graceUID = try #require(byEmail["grace@navy.example"]?["uid"] as? String)
        #expect(graceUID.hasPrefix("urn:uuid:"))

        let files = server.cardFiles
        let second = try sync(account)
        #expect(second.output == "carddav: 0 created, 0 updated, 4 unchanged, 0 deleted\n", "\(second.output)")
        #expect(server.cardFiles == files)

        // New mail with Grace changes her card; kith updates it under the same UID.
        let graceAgain = RelationshipMailbox.Person(email: "grace@navy.example", name: "Grace Hopper", exchanges: 2, gapDays: 1, lastDaysAgo: 1, fading: false)
        try deliverMore(graceAgain, to: account)
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        #expect(try sync(account).output == "carddav: 0 created, 1 updated, 3 unchanged, 0 deleted\n")
        cards = try server.cardsReadByVobject()
        #expect(cards.first { ($0["emails"] as? [String])?.first == "grace@navy.example" }?["uid"] as? String == graceUID, "the UID stays the person's")

        // The user edits Alan's card on the phone; more mail with Alan follows. kith reports and leaves the card alone.
        let alanFile = try #require(cards.first { ($0["emails"] as? [String])?.first == "alan@bletchley.example" }?["href"] as? String)
        let edited = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:\(cards.first { $0["href"] as? String == alanFile }!["uid"] as! String)\r\nFN:Alan (edited on my phone)\r\nEMAIL:alan@bletchley.example\r\nTEL:+44 1234\r\nEND:VCARD\r\n"
        let edit = try CurlTransfer.request("PUT", url: server.url + alanFile, headers: ["Content-Type: text/vcard"], body: Array(edited.utf8),
                                            username: server.user, password: Secret(server.password))
        #expect((200..<300).contains(edit.status))
        let alanAgain = RelationshipMailbox.Person(email: "alan@bletchley.example", name: "Alan Turing", exchanges: 2, gapDays: 1, lastDaysAgo: 1, fading: false)
        try deliverMore(alanAgain, to: account)
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        let conflict = try sync(account)
        #expect(conflict.status == 0)
        #expect(conflict.output == "carddav: 0 created, 0 updated, 3 unchanged, 0 deleted, 1 left alone (edited on the server)\n", "\(conflict.output)")
        #expect(conflict.errors.contains("not overwritten, edited on the server since kith wrote it: Alan Turing"), "\(conflict.errors)")
        let alanNow = try String(contentsOf: server.collectionDirectory.appendingPathComponent(alanFile), encoding: .utf8)
        #expect(alanNow.contains("edited on my phone") && alanNow.contains("TEL:+44 1234"))

        // Ignored and forgotten people leave the address book; the user's own card stays.
        #expect(try kith(["ignore", "ada@engines.example"], config: account.configPath).status == 0)
        #expect(try kith(["forget", "--yes", "quarterly@board.example"], config: account.configPath).status == 0)
        let pruned = try sync(account)
        #expect(pruned.output.hasPrefix("carddav: 0 created, 0 updated, 1 unchanged, 2 deleted"), "\(pruned.output)")
        let left = Set(try server.cardsReadByVobject().compactMap { ($0["emails"] as? [String])?.first })
        #expect(left == ["grace@navy.example", "alan@bletchley.example", "dentist@example.org"])
        #expect(try kith(["verify"], config: account.configPath).status == 0)
    }

    @Test func theDaemonSyncsAfterEachHarvestWhenAsked() throws {
        let account = try TestAccount(messages: 0, mailbox: RelationshipMailbox.mailbox())
        let server = try RadicaleServer(directory: account.directory)
        try configure(account, server)
        try (try String(contentsOfFile: account.configPath, encoding: .utf8) + "sync = true\n").write(toFile: account.configPath, atomically: true, encoding: .utf8)
        let socket = account.directory.appendingPathComponent("notify.sock").path
        let notify = try NotifySocket(name: socket)
        let daemon = try BackgroundProcess([kithBinary, "daemon"], environment: [
            "KITH_CONFIG": account.configPath, "KITH_NOW": RelationshipMailbox.nowText, "NOTIFY_SOCKET": socket, "PATH": "/usr/bin:/bin",
        ], logFile: account.directory.appendingPathComponent("daemon.log").path)
        #expect(notify.receive(until: "READY=1", timeout: 20) != nil, "\(daemon.output)")
        let deadline = Date().addingTimeInterval(30)
        while server.cardFiles.count < 4 && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        Thread.sleep(forTimeInterval: 0.5)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0, "\(daemon.output)")
        #expect(server.cardFiles.count == 4, "\(daemon.output)")
        #expect(daemon.output.contains("carddav: 4 created, 0 updated, 0 unchanged, 0 deleted"), "\(daemon.output)")
    }

    @Test func overTLSWithItsCAAndRefusedWithoutIt() throws {
        let account = try TestAccount(messages: 0, mailbox: RelationshipMailbox.mailbox())
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        let certificates = try TestCertificates()
        let server = try RadicaleServer(directory: account.directory, tls: certificates.server)
        try configure(account, server, caFile: certificates.otherCAFile)
        let refused = try sync(account)
        #expect(refused.status == 1 && refused.errors.contains("cannot reach \(server.url)"), "\(refused.errors)")
        #expect(refused.errors.lowercased().contains("certificate"), "the TLS failure is named: \(refused.errors)")
        #expect(server.cardFiles.isEmpty)
        try configure(account, server, caFile: certificates.caFile)
        let synced = try sync(account)
        #expect(synced.status == 0 && synced.output == "carddav: 4 created, 0 updated, 0 unchanged, 0 deleted\n", "\(synced.output)\(synced.errors)")
        #expect(server.cardFiles.count == 4)
    }

    @Test func wrongPasswordAndWrongAddressBookAreNamed() throws {
        let account = try TestAccount(messages: 0, mailbox: RelationshipMailbox.mailbox())
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        let server = try RadicaleServer(directory: account.directory)
        try configure(account, server, password: "not-the-password")
        let refused = try sync(account)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("refused user owner: authentication failed (HTTP 401)"), "\(refused.errors)")
        #expect(!refused.errors.contains("not-the-password") && !refused.output.contains("not-the-password"))
        try configure(account, server, url: "http://127.0.0.1:\(server.port)/owner/nothing-here/")
        let missing = try sync(account)
        #expect(missing.status == 1 && missing.errors.contains("no address book at http://127.0.0.1:\(server.port)/owner/nothing-here/ (HTTP 404)"), "\(missing.errors)")
        try configure(account, server, url: "http://127.0.0.1:\(try DovecotServer.freeLoopbackPort())/owner/contacts/")
        let unreachable = try sync(account)
        #expect(unreachable.status == 1 && unreachable.errors.contains("cannot reach"), "\(unreachable.errors)")
        #expect(server.cardFiles.isEmpty)
    }
}
