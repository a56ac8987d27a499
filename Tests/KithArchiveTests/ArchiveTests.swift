import Foundation
import GRDB
import GRDBSQLite
import Testing
@testable import KithArchive

private func temporaryArchivePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("kith-archive-\(UUID().uuidString)/nested/archive.sqlite").path
}

private func message(_ identity: String, uid: UInt32, _ correspondents: [Correspondent], direction: ArchivedMessage.Direction = .received, date: Int64 = 1_600_000_000) -> ArchivedMessage {
    ArchivedMessage(identity: identity, date: date, direction: direction, automated: false, uid: uid, correspondents: correspondents)
}

@Suite struct ArchiveTests {
    @Test func createsAPrivateFileInAPrivateDirectory() throws {
        let path = temporaryArchivePath()
        _ = try Archive(path: path)
        let file = try FileManager.default.attributesOfItem(atPath: path)
        let directory = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)
        #expect((file[.posixPermissions] as? Int) == 0o600)
        #expect((directory[.posixPermissions] as? Int) == 0o700)
    }

    @Test func sqliteKeepsNoMemoryStatistics() throws {
        // Set before main, while only one thread exists: sqlite3_config is not thread-safe.
        #expect(Archive.tuneSQLite == SQLITE_OK)
        let archive = try Archive(path: temporaryArchivePath())
        _ = try archive.accountID(named: "acme")
        #expect(sqlite3_memory_used() == 0, "with statistics on, SQLite counts every allocation under a global mutex")
    }

    @Test func refusesToCreateWhenOnlyReading() {
        #expect(throws: ArchiveError.self) { try Archive(path: temporaryArchivePath(), create: false) }
    }

    @Test func aCopyInAnotherFolderCountsOnceAndMovesBothCursors() throws {
        let archive = try Archive(path: temporaryArchivePath())
        let account = try archive.accountID(named: "acme")
        let inbox = try archive.folder(accountID: account, name: Array("INBOX".utf8), displayName: "INBOX")
        let other = try archive.folder(accountID: account, name: Array("Archive".utf8), displayName: "Archive")
        let ada = Correspondent(email: "ada@example.org", name: "Ada", role: .from)
        try archive.commit([message("a@x", uid: 1, [ada]), message("b@x", uid: 2, [ada])], folderID: inbox.id, uidValidity: 9, lastUID: 5)
        try archive.commit([message("a@x", uid: 1, [ada])], folderID: other.id, uidValidity: 4, lastUID: 1)
        #expect(try archive.messageCount() == 2)
        let contacts = try archive.contacts()
        #expect(contacts.map(\.email) == ["ada@example.org"])
        #expect(contacts[0].received == 2 && contacts[0].messages == 2)
        let folders = try archive.folders(accountID: account)
        #expect(folders.first { $0.displayName == "INBOX" }?.lastUID == 5)
        #expect(folders.first { $0.displayName == "Archive" }?.uidValidity == 4)
    }

    @Test func aUIDValidityResetKeepsEverythingAndRecountsNothing() throws {
        let archive = try Archive(path: temporaryArchivePath())
        let account = try archive.accountID(named: "acme")
        let inbox = try archive.folder(accountID: account, name: Array("INBOX".utf8), displayName: "INBOX")
        let bob = Correspondent(email: "bob@example.org", name: nil, role: .to)
        try archive.commit([message("s@x", uid: 3, [bob], direction: .sent)], folderID: inbox.id, uidValidity: 1, lastUID: 3)
        try archive.resetFolder(id: inbox.id, uidValidity: 2)
        #expect(try archive.folders(accountID: account)[0].lastUID == 0)
        try archive.commit([message("s@x", uid: 1, [bob], direction: .sent)], folderID: inbox.id, uidValidity: 2, lastUID: 1)
        let contacts = try archive.contacts()
        #expect(contacts.count == 1 && contacts[0].sent == 1 && contacts[0].messages == 1)
    }

    @Test func aSecondWriterIsRefusedWithAClearMessage() throws {
        let path = temporaryArchivePath()
        var first: ArchiveLock? = try ArchiveLock(archivePath: path)
        #expect(first != nil)
        #expect(throws: ArchiveError.self) { try ArchiveLock(archivePath: path) }
        do {
            _ = try ArchiveLock(archivePath: path)
        } catch {
            #expect("\(error)".contains("pid \(getpid())"))
        }
        first = nil
        _ = try ArchiveLock(archivePath: path)
    }

    @Test func namesPreferTheMostUsedThenTheMostRecent() throws {
        let archive = try Archive(path: temporaryArchivePath())
        let account = try archive.accountID(named: "acme")
        let inbox = try archive.folder(accountID: account, name: Array("INBOX".utf8), displayName: "INBOX")
        func from(_ name: String?) -> [Correspondent] { [Correspondent(email: "c@example.org", name: name, role: .from)] }
        try archive.commit([
            message("1", uid: 1, from("C. Old"), date: 100), message("2", uid: 2, from("Carol"), date: 200),
            message("3", uid: 3, from("C. Old"), date: 300), message("4", uid: 4, from("Carol"), date: 400),
            message("5", uid: 5, from(nil), date: 500),
        ], folderID: inbox.id, uidValidity: 1, lastUID: 5)
        #expect(try archive.contacts()[0].name == "Carol")
    }

    @Test func theMostFrequentSpellingIsShownAndTheIdentityStaysLowercase() throws {
        let archive = try Archive(path: temporaryArchivePath())
        let account = try archive.accountID(named: "acme")
        let inbox = try archive.folder(accountID: account, name: Array("INBOX".utf8), displayName: "INBOX")
        func from(_ email: String, _ spelling: String?) -> [Correspondent] { [Correspondent(email: email, name: nil, role: .from, spelling: spelling)] }
        try archive.commit([
            message("1", uid: 1, from("reply+abc@example.org", "Reply+AbC@example.org")),
            message("2", uid: 2, from("reply+abc@example.org", "Reply+AbC@example.org")),
            message("3", uid: 3, from("reply+abc@example.org", nil)),
            message("4", uid: 4, from("ann@example.org", "ANN@example.org")),
            message("5", uid: 5, from("ann@example.org", nil)),
            message("6", uid: 6, from("ann@example.org", nil)),
        ], folderID: inbox.id, uidValidity: 1, lastUID: 6)
        let contacts = Dictionary(uniqueKeysWithValues: try archive.contacts().map { ($0.email, $0) })
        #expect(contacts["reply+abc@example.org"]?.spelling == "Reply+AbC@example.org", "one identity, shown as most messages wrote it")
        #expect(contacts["ann@example.org"]?.spelling == nil, "lowercase was the most frequent spelling")
        #expect(ContactFiles.vCard(try archive.people(now: 0).filter { $0.email.hasPrefix("reply") }).contains("EMAIL;TYPE=work;PREF=1:Reply+AbC@example.org"))
    }
}

@Suite struct PeopleAndStrengthTests {
    static let day: Int64 = 86_400
    static let now: Int64 = 1_793_000_000

    /// Commits `messages` into a fresh INBOX folder of account "acme".
    static func archive(_ messages: [ArchivedMessage]) throws -> Archive {
        let archive = try Archive(path: temporaryArchivePath())
        let account = try archive.accountID(named: "acme")
        let inbox = try archive.folder(accountID: account, name: Array("INBOX".utf8), displayName: "INBOX")
        try archive.commit(messages, folderID: inbox.id, uidValidity: 1, lastUID: UInt32(messages.count))
        return archive
    }

    static func exchange(_ email: String, count: Int, at date: Int64, tag: String) -> [ArchivedMessage] {
        (0..<count).map { index in
            let sent = index % 2 == 0
            return ArchivedMessage(identity: "\(tag)-\(index)", date: date - Int64(index) * 3_600, direction: sent ? .sent : .received,
                                   automated: false, uid: 0,
                                   correspondents: [Correspondent(email: email, name: nil, role: sent ? .to : .from)])
        }
    }

    @Test func strengthRanksTheRelationshipsThatMatter() throws {
        var messages = Self.exchange("friend@x.example", count: 20, at: Self.now - 20 * Self.day, tag: "friend")
        messages += (0..<500).map { index in
            ArchivedMessage(identity: "news-\(index)", date: Self.now - Int64(index) * Self.day, direction: .received, automated: true, uid: 0,
                            correspondents: [Correspondent(email: "news@shop.example", name: nil, role: .from)])
        }
        messages += (0..<50).map { index in
            let others = (0..<50).map { Correspondent(email: "staff\($0)@corp.example", name: nil, role: .cc) }
            return ArchivedMessage(identity: "allhands-\(index)", date: Self.now - Int64(index) * Self.day, direction: .received, automated: false, uid: 0,
                                   correspondents: [Correspondent(email: "ceo@corp.example", name: nil, role: .from),
                                                    Correspondent(email: "bystander@corp.example", name: nil, role: .cc)] + others)
        }
        messages += Self.exchange("oldfriend@x.example", count: 20, at: Self.now - 5 * 365 * Self.day, tag: "old")
        messages.append(ArchivedMessage(identity: "stranger", date: Self.now - Self.day, direction: .received, automated: false, uid: 0,
                                        correspondents: [Correspondent(email: "stranger@y.example", name: nil, role: .from)]))
        let archive = try Self.archive(messages)
        let people = try archive.people(ContactFilter(includeAutomated: true), now: Self.now)
        let strength = Dictionary(uniqueKeysWithValues: people.map { ($0.email, $0.strength) })
        let friend = try #require(strength["friend@x.example"])
        #expect(strength["news@shop.example"] == 0)
        #expect(friend > (strength["bystander@corp.example"] ?? .infinity))
        #expect(friend > (strength["ceo@corp.example"] ?? .infinity))
        #expect((strength["oldfriend@x.example"] ?? 0) > (strength["stranger@y.example"] ?? .infinity))
        #expect((strength["stranger@y.example"] ?? 0) > 0)
        // The figures in docs/strength.md.
        #expect(friend == 42.6)
        #expect(strength["oldfriend@x.example"] == 9.9)
        #expect(strength["stranger@y.example"] == 2.5)
        #expect(strength["bystander@corp.example"] == 3.6)
    }

    @Test func linkedAddressesAreOnePersonAndSurviveNewMail() throws {
        let acme = Correspondent(email: "ada@acme.example", name: "Ada Lovelace", role: .from)
        let newco = Correspondent(email: "ada@newco.example", name: "Ada Lovelace", role: .from)
        let both = [Correspondent(email: "ada@acme.example", name: nil, role: .to), Correspondent(email: "ada@newco.example", name: nil, role: .cc)]
        let archive = try Self.archive([
            message("m1", uid: 1, [acme], date: Self.now - 900 * Self.day),
            message("m2", uid: 2, [acme], date: Self.now - 800 * Self.day),
            message("m3", uid: 3, [newco], date: Self.now - 10 * Self.day),
            message("m4", uid: 4, both, direction: .sent, date: Self.now - 5 * Self.day),
        ])
        #expect(try archive.people(now: Self.now).count == 2)
        try archive.link(["ADA@acme.example", "ada@newco.example"])
        var people = try archive.people(now: Self.now)
        #expect(people.count == 1)
        #expect(people[0].addresses.map(\.email) == ["ada@acme.example", "ada@newco.example"])
        #expect(people[0].messages == 4 && people[0].received == 3 && people[0].sent == 1)
        #expect(people[0].addresses.map(\.messages) == [3, 2])

        // A later harvest adds mail; the link stays and the new mail counts for the person.
        let account = try archive.accountID(named: "acme")
        let inbox = try archive.folders(accountID: account)[0]
        try archive.commit([message("m5", uid: 5, [newco], date: Self.now - Self.day)], folderID: inbox.id, uidValidity: 1, lastUID: 5)
        let reopened = try Archive(path: archive.path)
        people = try reopened.people(now: Self.now)
        #expect(people.count == 1 && people[0].messages == 5)
        #expect(try reopened.links() == [["ada@acme.example", "ada@newco.example"]])

        // Linking a third address to either merges; unlinking dissolves a person left with one address.
        try reopened.link(["ada@newco.example", "ada@home.example"])
        #expect(try reopened.links() == [["ada@acme.example", "ada@home.example", "ada@newco.example"]])
        #expect(try reopened.unlink("ada@home.example"))
        #expect(try reopened.unlink("ada@acme.example"))
        #expect(try reopened.links().isEmpty)
        #expect(try reopened.unlink("ada@acme.example") == false)
        #expect(try reopened.people(now: Self.now).count == 2)
    }
}

@Suite struct SchemaUpgradeTests {
    /// An archive written by an earlier release (schema v2) opens under the current schema with every row kept.
    @Test func aVersion2ArchiveUpgradesWithItsDataIntact() throws {
        let path = temporaryArchivePath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do {
            let queue = try DatabaseQueue(path: path)
            try ArchiveSchema.migrator.migrate(queue, upTo: "v2-deprovisioning-events")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO account (id, name, created_at) VALUES (1, 'acme', 1600000000);
                    INSERT INTO folder (id, account_id, name, display_name, uidvalidity, last_uid) VALUES (1, 1, X'494E424F58', 'INBOX', 7, 2);
                    INSERT INTO message (id, identity, date, direction, automated, archived_at) VALUES
                      (1, 'a@x', 1600000000, 'received', 0, 1600000001), (2, 'b@x', 1600086400, 'sent', 0, 1600000001);
                    INSERT INTO message_location (folder_id, uidvalidity, uid, message_id) VALUES (1, 7, 1, 1), (1, 7, 2, 2);
                    INSERT INTO address (id, email) VALUES (1, 'ada@example.org');
                    INSERT INTO message_address (message_id, address_id, role, name) VALUES (1, 1, 'from', 'Ada'), (2, 1, 'to', NULL);
                    INSERT INTO account_event (account_id, event, threshold, at) VALUES (1, 'warning', 30, 1600000000);
                    """)
            }
        }
        let archive = try Archive(path: path, create: false)
        let contacts = try archive.contacts()
        #expect(contacts.count == 1 && contacts[0].sent == 1 && contacts[0].received == 1 && contacts[0].name == "Ada")
        #expect(try archive.folders(accountID: archive.accountID(named: "acme"))[0].lastUID == 2)
        #expect(try archive.people(now: 1_700_000_000).first?.messages == 2)
        try archive.link(["ada@example.org", "ada@newco.example"])
        #expect(try archive.links() == [["ada@example.org", "ada@newco.example"]])
    }
}

@Suite struct BulkLoadTests {
    @Test func aFirstHarvestDefersItsIndexesAndAnyOpenRepairsThem() throws {
        let path = temporaryArchivePath()
        let archive = try Archive(path: path)
        #expect(try archive.hasAllIndexes())
        #expect(try archive.beginBulkLoad())
        #expect(try archive.hasAllIndexes() == false)
        let account = try archive.accountID(named: "acme")
        let inbox = try archive.folder(accountID: account, name: Array("INBOX".utf8), displayName: "INBOX")
        try archive.commit([message("a@x", uid: 1, [Correspondent(email: "ada@example.org", name: nil, role: .from)])],
                           folderID: inbox.id, uidValidity: 1, lastUID: 1)
        // Killed here: the next open (no harvest holding the lock) builds what is missing.
        #expect(try Archive(path: path).hasAllIndexes())
        #expect(try archive.beginBulkLoad() == false, "an archive with messages keeps its indexes")
        #expect(try archive.contacts().map(\.email) == ["ada@example.org"])
    }

    @Test func anOpenWhileAHarvestHoldsTheLockLeavesTheIndexesToIt() throws {
        let path = temporaryArchivePath()
        let lock = try ArchiveLock(archivePath: path)
        let archive = try Archive(path: path)
        #expect(try archive.beginBulkLoad())
        #expect(ArchiveLock.isHeld(archivePath: path))
        #expect(try Archive(path: path).hasAllIndexes() == false)
        try archive.endBulkLoad()
        #expect(try archive.hasAllIndexes())
        withExtendedLifetime(lock) {}
        #expect(ArchiveLock.isHeld(archivePath: path + "-nothing") == false)
    }
}
