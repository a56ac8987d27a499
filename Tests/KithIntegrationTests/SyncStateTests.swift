import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

@Suite(.serialized) struct SyncStateTests {
    @Test func changedUIDValidityRereadsTheFolderWithoutCountingTwice() throws {
        let account = try TestAccount(messages: 150, seed: 41)
        let (acme, archive, harvester) = try openHarvest(account)
        #expect(harvester.harvest(acme).error == nil)
        let before = try archive.messageCount()

        // Give INBOX a new UIDVALIDITY, as a server migration would.
        account.server.stop()
        let maildir = account.server.maildir()
        let uidlist = maildir.appendingPathComponent("dovecot-uidlist")
        var lines = try String(contentsOf: uidlist, encoding: .utf8).components(separatedBy: "\n")
        var header = lines[0].split(separator: " ").map(String.init)
        let index = try #require(header.firstIndex { $0.hasPrefix("V") })
        let oldValidity = try #require(UInt32(header[index].dropFirst()))
        header[index] = "V\(oldValidity + 1000)"
        lines[0] = header.joined(separator: " ")
        try lines.joined(separator: "\n").write(to: uidlist, atomically: true, encoding: .utf8)
        for file in try FileManager.default.contentsOfDirectory(atPath: maildir.path) where file.hasPrefix("dovecot.index") {
            try FileManager.default.removeItem(at: maildir.appendingPathComponent(file))
        }
        try account.server.start()

        let report = harvester.harvest(acme)
        #expect(report.error == nil, "\(report.summary)")
        #expect(report.foldersHarvested == 1, "only INBOX is read again")
        #expect(report.messagesFetched > 0)
        #expect(report.newMessages == 0)
        #expect(try archive.messageCount() == before)
        let inbox = try #require(try archive.folders(accountID: try archive.accountID(named: "acme")).first { $0.displayName == "INBOX" })
        #expect(inbox.uidValidity == oldValidity + 1000)
        try expectArchiveMatchesModel(archive, account.mailbox)
    }

    @Test func deletedAndRenamedFoldersLoseNothingAndNewFoldersArePickedUp() throws {
        let account = try TestAccount(messages: 200, seed: 43)
        let (acme, archive, harvester) = try openHarvest(account)
        #expect(harvester.harvest(acme).error == nil)
        let before = try archive.messageCount()

        let maildir = account.server.maildir()
        try FileManager.default.removeItem(at: maildir.appendingPathComponent(".Sent"))
        try FileManager.default.moveItem(at: maildir.appendingPathComponent(".Projects.Kith"), to: maildir.appendingPathComponent(".Projects.Renamed"))
        let newcomer = SampleMessage(
            folder: "Clients", logicalID: "new-client", messageID: "new-client@mail.example", date: 1_700_000_000,
            dateHeader: "Tue, 14 Nov 2023 22:13:20 +0000", internalDate: 1_700_000_060,
            from: [SampleMessage.Address(email: "newcomer@client.example", written: "newcomer@client.example", name: "New Comer", writtenName: "New Comer")],
            to: [SampleMessage.Address(email: "me@acme.example", written: "me@acme.example", name: nil, writtenName: nil)],
            cc: [], bcc: [], automated: false, sent: false, seen: false)
        try SampleMailbox(ownerAddresses: account.mailbox.ownerAddresses, messages: [newcomer]).write(to: maildir)
        try account.server.fixOwnership()

        let report = harvester.harvest(acme)
        #expect(report.error == nil, "\(report.summary)")
        #expect(report.newMessages == 1, "the renamed folder's messages are known; only the new one is new")
        #expect(try archive.messageCount() == before + 1)
        let contacts = try archive.contacts()
        let newcomerContact = try #require(contacts.first { $0.email == "newcomer@client.example" })
        #expect(newcomerContact.received == 1 && newcomerContact.name == "New Comer")
        var model = account.mailbox
        model.messages.append(newcomer)
        model.messages = model.messages.map { message in
            var copy = message
            if copy.folder == "Clients" { copy.folder = "INBOX" }
            return copy
        }
        try expectArchiveMatchesModel(archive, model)
        let folders = try archive.folders(accountID: try archive.accountID(named: "acme")).map(\.displayName)
        #expect(folders.contains("Sent") && folders.contains("Projects/Kith") && folders.contains("Projects/Renamed"), "\(folders)")
    }
}
