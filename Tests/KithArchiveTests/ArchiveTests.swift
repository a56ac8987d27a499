import Foundation
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
}
