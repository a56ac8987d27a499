import Foundation
import GRDB
import Testing
@testable import KithArchive

/// Archives written by every earlier schema version open, migrate, keep their data and verify.
@Suite struct MigrationTests {
    /// Rows every version since v1 can hold: one account, a folder, two messages, three addresses.
    private static let v1Rows = """
        INSERT INTO account (id, name, created_at, last_success_at) VALUES (1, 'oldjob', 1500000000, 1500000100);
        INSERT INTO folder (id, account_id, name, display_name, uidvalidity, last_uid, uidnext, server_count)
            VALUES (1, 1, X'494E424F58', 'INBOX', 7, 2, 3, 2);
        INSERT INTO message (id, identity, date, direction, automated, archived_at) VALUES
            (1, 'a@example.org', 1500000000, 'received', 0, 1500000100),
            (2, 'b@example.org', 1500003600, 'sent', 0, 1500000100);
        INSERT INTO message_location (folder_id, uidvalidity, uid, message_id) VALUES (1, 7, 1, 1), (1, 7, 2, 2);
        INSERT INTO address (id, email) VALUES (1, 'ada@example.org'), (2, 'grace@example.org'), (3, 'news@example.org');
        INSERT INTO message_address (message_id, address_id, role, name) VALUES
            (1, 1, 'from', 'Ada'), (1, 2, 'cc', NULL), (2, 1, 'to', 'Ada Lovelace'), (2, 3, 'bcc', NULL);
        """

    @Test(arguments: ArchiveSchema.migrator.migrations.dropLast())
    func anArchiveOfAnEarlierVersionMigratesWithItsData(version: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kith-migration-\(UUID().uuidString).sqlite").path
        let old = try DatabaseQueue(path: path)
        try ArchiveSchema.migrator.migrate(old, upTo: version)
        try old.write { db in try db.execute(sql: Self.v1Rows) }
        try old.close()

        let archive = try Archive(path: path, create: false)
        #expect(try archive.appliedMigrations() == ArchiveSchema.migrator.migrations)
        #expect(try archive.messageCount() == 2)
        let contacts = Dictionary(uniqueKeysWithValues: try archive.contacts().map { ($0.email, $0) })
        #expect(contacts["ada@example.org"]?.messages == 2 && contacts["ada@example.org"]?.sent == 1 && contacts["ada@example.org"]?.received == 1)
        #expect(Set(contacts.keys) == ["ada@example.org", "grace@example.org", "news@example.org"])
        #expect(try archive.verify() == [])
        #expect(try archive.folders(accountID: try archive.accountID(named: "oldjob")).first?.lastUID == 2, "cursors survive")
    }

    @Test func verifyNamesWhatIsWrong() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kith-migration-\(UUID().uuidString).sqlite").path
        let archive = try Archive(path: path)
        try archive.pool.write { db in
            try db.execute(sql: Self.v1Rows)
            try db.execute(sql: "DELETE FROM message_location WHERE message_id = 2")
            try db.execute(sql: "INSERT INTO address (id, email) VALUES (9, 'Shouty@Example.org')")
        }
        let problems = try archive.verify()
        #expect(problems.contains("1 messages without any folder location (unreachable)"), "\(problems)")
        #expect(problems.contains("1 addresses that are not lowercase or hold no @"), "\(problems)")

        let backup = path + ".backup"
        try archive.backup(to: backup)
        #expect(((try FileManager.default.attributesOfItem(atPath: backup))[.posixPermissions] as? Int) == 0o600)
        #expect(try Archive(path: backup, create: false).messageCount() == 2)
        #expect(throws: ArchiveError.self) { try archive.backup(to: backup) }
    }
}
