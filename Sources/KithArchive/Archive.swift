import CSQLiteTuning
import Foundation
import GRDB
import Synchronization
import KithMail

/// The persistent SQLite archive of accounts, folders, messages and correspondents.
///
/// Writes happen in transactions that also move a folder's cursor, so a crash loses at most the
/// batch in flight and never counts a message twice. Nothing is deleted when a server deletes mail.
public final class Archive: Sendable {
    public let path: String
    let pool: DatabasePool
    /// What commits remember between transactions, as of one forget generation.
    struct CommitMemory {
        /// The addresses `kith forget` erased, as of `filter.generation`.
        var filter = ForgottenFilter(generation: 0, salt: "", hashes: [])
        /// Address ids this process has committed, so a harvest looks each address up once. Only `kith forget`
        /// deletes addresses, and it moves the forget generation, which empties this at the next commit.
        var addressIDs: [String: Int64] = [:]
    }
    /// Kept under one lock so ids are never paired with another generation's filter.
    private let commitMemory = Mutex(CommitMemory())

    /// Opens the archive at `path`, creating it (0600, in a 0700 directory) when `create` is set.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard create else {
                throw ArchiveError(path: path, message: "no archive here yet; run `kith harvest` first")
            }
            let directory = (path as NSString).deletingLastPathComponent
            if !manager.fileExists(atPath: directory) {
                do {
                    try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw ArchiveError(path: path, message: "cannot create directory \(directory): \(error.localizedDescription)")
                }
            }
            let descriptor = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw ArchiveError(path: path, message: "cannot create: \(String(cString: strerror(errno)))") }
            close(descriptor)
        }
        _ = Self.tuneSQLite
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrateExclusively(pool, path: path)
            // A first harvest killed before its end may have left its deferred indexes unbuilt.
            if try !hasAllIndexes(), !ArchiveLock.isHeld(archivePath: path) { try endBulkLoad() }
        } catch {
            throw ArchiveError(path: path, message: "\(error)")
        }
    }

    /// Process-wide SQLite settings: applied when the process starts (CSQLiteTuning), checked once here.
    static let tuneSQLite: Int32 = kith_sqlite_disable_memory_statistics()

    /// The id of account `name`, created on first use.
    public func accountID(named name: String) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO account (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                           arguments: [name, Self.now()])
            return try Int64.fetchOne(db, sql: "SELECT id FROM account WHERE name = ?", arguments: [name])!
        }
    }

    /// Every folder the archive knows for the account, including those gone from the server.
    public func folders(accountID: Int64) throws -> [FolderState] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM folder WHERE account_id = ? ORDER BY display_name", arguments: [accountID]).map(Self.folderState)
        }
    }

    /// The folder's state, created with no cursor when first seen.
    public func folder(accountID: Int64, name: [UInt8], displayName: String) throws -> FolderState {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO folder (account_id, name, display_name) VALUES (?, ?, ?)
                ON CONFLICT(account_id, name) DO UPDATE SET display_name = excluded.display_name
                """, arguments: [accountID, Data(name), displayName])
            let row = try Row.fetchOne(db, sql: "SELECT * FROM folder WHERE account_id = ? AND name = ?", arguments: [accountID, Data(name)])!
            return Self.folderState(row)
        }
    }

    /// Starts the folder over under a new UIDVALIDITY: the cursor goes to 0, archived messages stay.
    public func resetFolder(id: Int64, uidValidity: UInt32) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE folder SET uidvalidity = ?, last_uid = 0, missing = 0 WHERE id = ?", arguments: [Int64(uidValidity), id])
        }
    }

    /// Records what the server reported for the folder, without moving its cursor; the folder was read, so no error stands.
    public func noteServerState(folderID: Int64, uidNext: UInt32?, serverCount: UInt32) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE folder SET uidnext = ?, server_count = ?, last_seen_at = ?, last_error = NULL WHERE id = ?",
                           arguments: [uidNext.map { Int64($0) }, Int64(serverCount), Self.now(), folderID])
        }
    }

    /// Stores a batch of messages and moves the folder's cursor to `lastUID`, all in one transaction.
    ///
    /// A message already archived (same identity, from another folder or an earlier UIDVALIDITY) only gains a location.
    public func commit(_ messages: [ArchivedMessage], folderID: Int64, uidValidity: UInt32, lastUID: UInt32) throws {
        // Taken out, so the ids are not copied when this commit adds to them; put back once committed.
        var memory = commitMemory.withLock { stored in
            defer { stored.addressIDs = [:] }
            return stored
        }
        try pool.write { db in
            if try Self.forgetGeneration(db) != memory.filter.generation {
                memory = CommitMemory(filter: try Self.forgottenFilter(db))
            }
            var writer = try CommitWriter(db, path: path, folderID: folderID, uidValidity: uidValidity)
            for message in messages {
                try writer.write(message, memory: &memory)
            }
            try writer.finish()
            try db.execute(sql: "UPDATE folder SET uidvalidity = ?, last_uid = MAX(last_uid, ?) WHERE id = ?",
                           arguments: [Int64(uidValidity), Int64(lastUID), folderID])
        }
        // Only ids of committed rows are remembered: a rolled-back transaction leaves the memory as it was.
        commitMemory.withLock { $0 = memory }
    }

    /// Records the outcome of a harvest attempt for `status`.
    public func recordHarvest(accountID: Int64, error: String?) throws {
        try pool.write { db in
            if let error {
                try db.execute(sql: "UPDATE account SET last_attempt_at = ?, last_error = ?, failing_since = COALESCE(failing_since, ?) WHERE id = ?",
                               arguments: [Self.now(), error, Self.now(), accountID])
            } else {
                try db.execute(sql: "UPDATE account SET last_attempt_at = ?, last_success_at = ?, last_error = NULL, failing_since = NULL WHERE id = ?",
                               arguments: [Self.now(), Self.now(), accountID])
            }
        }
    }

    /// Records why the folder could not be read (nil: it was read); the archive's rows for it stay.
    public func recordFolderError(folderID: Int64, error: String?) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE folder SET last_error = ? WHERE id = ?", arguments: [error, folderID])
        }
    }

    /// Remembers the owner's addresses an import used (merged with those stored before) and when it ran.
    public func recordImport(accountID: Int64, addresses: [String]) throws {
        try pool.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT addresses FROM account WHERE id = ?", arguments: [accountID]) ?? ""
            var all = stored.split(separator: "\n").map(String.init)
            for address in addresses.map({ $0.lowercased() }) where !all.contains(address) { all.append(address) }
            try db.execute(sql: "UPDATE account SET addresses = ?, imported_at = ? WHERE id = ?",
                           arguments: [all.joined(separator: "\n"), Self.now(), accountID])
        }
    }

    /// The owner's addresses stored for `account` by earlier imports.
    public func storedAddresses(account: String) throws -> [String] {
        try pool.read { db in
            (try String.fetchOne(db, sql: "SELECT addresses FROM account WHERE name = ?", arguments: [account]) ?? "")
                .split(separator: "\n").map(String.init)
        }
    }

    /// Adds `count` messages the server listed in the folder but never sent.
    public func addMissing(folderID: Int64, count: Int) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE folder SET missing = missing + ? WHERE id = ?", arguments: [count, folderID])
        }
    }

    /// How many messages of the account's folders the server listed but never sent.
    public func missingMessages(account: String) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COALESCE(SUM(folder.missing), 0) FROM folder JOIN account ON account.id = folder.account_id WHERE account.name = ?
                """, arguments: [account]) ?? 0
        }
    }

    /// The account's folders that failed at their last harvest, by display name, with the reason.
    public func failingFolders(account: String) throws -> [(folder: String, reason: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT folder.display_name, folder.last_error FROM folder JOIN account ON account.id = folder.account_id
                WHERE account.name = ? AND folder.last_error IS NOT NULL ORDER BY folder.display_name
                """, arguments: [account]).map { ($0[0], $0[1]) }
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Applies missing migrations while holding an flock on `<archive>.migrate-lock`, so two processes
    /// opening a new or older archive at once (a daemon starting, `kith status`) never both apply the same
    /// one. (Never a second descriptor on the archive itself: closing it would drop SQLite's POSIX locks.)
    private static func migrateExclusively(_ pool: DatabasePool, path: String) throws {
        if try pool.read({ try ArchiveSchema.migrator.hasCompletedMigrations($0) }) { return }
        let descriptor = open(path + ".migrate-lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        }
        defer {
            if descriptor >= 0 {
                flock(descriptor, LOCK_UN)
                close(descriptor)
            }
        }
        try ArchiveSchema.migrator.migrate(pool)
    }

    private static func folderState(_ row: Row) -> FolderState {
        FolderState(
            id: row["id"],
            name: [UInt8]((row["name"] as Data?) ?? Data()),
            displayName: row["display_name"],
            uidValidity: (row["uidvalidity"] as Int64?).map { UInt32(truncatingIfNeeded: $0) },
            lastUID: UInt32(truncatingIfNeeded: row["last_uid"] as Int64),
            uidNext: (row["uidnext"] as Int64?).map { UInt32(truncatingIfNeeded: $0) },
            serverCount: (row["server_count"] as Int64?).map { UInt32(truncatingIfNeeded: $0) })
    }
}
