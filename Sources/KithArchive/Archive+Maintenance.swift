import Foundation
import GRDB

extension Archive {
    /// Copies the archive to `destination` with SQLite's online backup: a consistent snapshot even while
    /// a harvest writes. The copy is created 0600 and must not exist yet.
    public func backup(to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw ArchiveError(path: destination, message: "already exists; kith never overwrites a backup")
        }
        let descriptor = open(destination, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ArchiveError(path: destination, message: "cannot create: \(String(cString: strerror(errno)))") }
        close(descriptor)
        do {
            let copy = try DatabaseQueue(path: destination)
            try pool.backup(to: copy)
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw ArchiveError(path: destination, message: "backup failed: \(error)")
        }
    }

    /// The names of the schema migrations this archive has, in order (the schema version).
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try ArchiveSchema.migrator.appliedMigrations(db) }
    }

    /// Checks the archive and says what is wrong; empty when all is well. SQLite's own integrity and
    /// foreign-key checks, the schema version, and the rules the rows must keep between them.
    public func verify() throws -> [String] {
        try pool.read { db in
            var problems: [String] = []
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            if integrity != ["ok"] { problems += integrity.prefix(20).map { "integrity_check: \($0)" } }
            for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").prefix(20) {
                problems.append("foreign_key_check: table \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? 0) refers to a missing row of \(row[2] as String? ?? "?")")
            }
            let known = ArchiveSchema.migrator.migrations
            let applied = try ArchiveSchema.migrator.appliedMigrations(db)
            if applied != known { problems.append("schema: migrations \(applied) applied, this kith knows \(known)") }
            let checks: [(String, String)] = [
                ("messages without any folder location (unreachable)",
                 "SELECT COUNT(*) FROM message WHERE NOT EXISTS (SELECT 1 FROM message_location l WHERE l.message_id = message.id)"),
                ("folder cursors below zero or above 4294967295", "SELECT COUNT(*) FROM folder WHERE last_uid < 0 OR last_uid > 4294967295"),
                ("folders counting a negative number of missing messages", "SELECT COUNT(*) FROM folder WHERE missing < 0"),
                ("locations with a UID outside 1-4294967295", "SELECT COUNT(*) FROM message_location WHERE uid < 1 OR uid > 4294967295"),
                ("addresses that are not lowercase or hold no @", "SELECT COUNT(*) FROM address WHERE email <> lower(email) OR instr(email, '@') = 0"),
                ("people without any address", "SELECT COUNT(*) FROM person WHERE NOT EXISTS (SELECT 1 FROM person_address p WHERE p.person_id = person.id)"),
                ("messages whose direction is neither sent nor received", "SELECT COUNT(*) FROM message WHERE direction NOT IN ('sent', 'received')"),
            ]
            for (what, sql) in checks {
                let count = try Int.fetchOne(db, sql: sql) ?? 0
                if count > 0 { problems.append("\(count) \(what)") }
            }
            return problems
        }
    }
}
