import Foundation
import GRDB
import KithMail

/// A `kith ignore` rule: an address, a domain (with its subdomains) or a pattern with `*`.
public struct IgnoreRule: Sendable, Equatable, Hashable {
    public let pattern: String

    /// Normalizes `text` (lowercased, a leading `@` of a domain dropped); nil when it can match nothing.
    public init?(_ text: String) {
        var pattern = text.trimmingCharacters(in: .whitespaces).lowercased()
        if pattern.hasPrefix("@") && !pattern.contains("*") { pattern.removeFirst() }
        guard !pattern.isEmpty, !pattern.contains(where: { $0.isWhitespace || $0.isNewline }),
              pattern.filter({ $0 == "@" }).count <= 1, !pattern.hasSuffix("@"), pattern != "*" else { return nil }
        self.pattern = pattern
    }

    public func matches(_ email: String) -> Bool {
        if pattern.contains("*") { return Self.glob(Array(pattern.utf8)[...], Array(email.utf8)[...]) }
        if pattern.contains("@") { return email == pattern }
        guard let at = email.lastIndex(of: "@") else { return false }
        let domain = email[email.index(after: at)...]
        return domain == pattern || domain.hasSuffix("." + pattern)
    }

    /// `*` matches any run of bytes; everything else matches itself.
    private static func glob(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var star: Int?, resume = text.startIndex
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                star = p
                p += 1
                resume = t
            } else if p < pattern.endIndex, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}

/// What `kith forget` removed.
public struct ForgetResult: Sendable, Equatable {
    public var addresses: Int
    public var messageRoles: Int
    public var linkedInRows: Int
}

extension Archive {
    // MARK: ignore

    /// Adds a rule; false when it was already there.
    @discardableResult
    public func addIgnoreRule(_ rule: IgnoreRule) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO ignore_rule (pattern, added_at) VALUES (?, ?)", arguments: [rule.pattern, Self.now()])
            return db.changesCount > 0
        }
    }

    /// Removes a rule; false when there was none.
    @discardableResult
    public func removeIgnoreRule(_ rule: IgnoreRule) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM ignore_rule WHERE pattern = ?", arguments: [rule.pattern])
            return db.changesCount > 0
        }
    }

    public func ignoreRules() throws -> [IgnoreRule] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT pattern FROM ignore_rule ORDER BY pattern").compactMap(IgnoreRule.init)
        }
    }

    // MARK: named values

    /// A small value kept in the archive (such as when the last digest went out), or nil.
    public func storedValue(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM archive_value WHERE key = ?", arguments: [key]) }
    }

    public func storeValue(_ value: String, for key: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO archive_value (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    // MARK: forget

    /// Erases every row naming `emails`: the addresses, their roles in messages, their links and LinkedIn rows.
    /// A salted hash of each address stays, so later harvests and imports leave it out. Messages themselves stay.
    public func forget(_ emails: [String]) throws -> ForgetResult {
        let emails = Array(Set(emails.map { $0.lowercased() })).sorted()
        // secure_delete zeroes the freed bytes, and the checkpoint empties the write-ahead log of the old pages:
        // erased means gone from the file, not just unreachable.
        return try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            let result = try erase(emails, db)
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            return result
        }
    }

    private func erase(_ emails: [String], _ db: Database) throws -> ForgetResult {
        var result = ForgetResult(addresses: 0, messageRoles: 0, linkedInRows: 0)
        try db.inTransaction {
            let salt = try Self.forgetSalt(db)
            var people: Set<Int64> = []
            for email in emails {
                if let id = try Int64.fetchOne(db, sql: "SELECT id FROM address WHERE email = ?", arguments: [email]) {
                    try db.execute(sql: "DELETE FROM message_address WHERE address_id = ?", arguments: [id])
                    result.messageRoles += db.changesCount
                    try db.execute(sql: "DELETE FROM address WHERE id = ?", arguments: [id])
                    result.addresses += 1
                }
                if let person = try Int64.fetchOne(db, sql: "SELECT person_id FROM person_address WHERE email = ?", arguments: [email]) {
                    people.insert(person)
                }
                try db.execute(sql: "DELETE FROM linkedin_connection WHERE lower(email) = ?", arguments: [email])
                result.linkedInRows += db.changesCount
                // A card kith made for them loses its addresses: the next CardDAV sync deletes it from the server.
                try db.execute(sql: "UPDATE carddav_card SET addresses = '' WHERE instr(char(10) || addresses || char(10), char(10) || ? || char(10)) > 0",
                               arguments: [email])
                try db.execute(sql: "INSERT OR IGNORE INTO forgotten_address (hash, forgotten_at) VALUES (?, ?)",
                               arguments: [Self.forgetHash(email, salt: salt), Self.now()])
            }
            for person in people {
                try db.execute(sql: "DELETE FROM person_address WHERE email IN (\(emails.map { _ in "?" }.joined(separator: ",")))",
                               arguments: StatementArguments(emails))
                let left = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM person_address WHERE person_id = ?", arguments: [person]) ?? 0
                if left < 2 {
                    try db.execute(sql: "DELETE FROM person_address WHERE person_id = ?", arguments: [person])
                    try db.execute(sql: "DELETE FROM person WHERE id = ?", arguments: [person])
                }
            }
            try db.execute(sql: """
                INSERT INTO archive_value (key, value) VALUES ('forget_generation', '1')
                ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
                """)
            return .commit
        }
        return result
    }

    /// Whether `email` was erased by `kith forget`.
    public func isForgotten(_ email: String) throws -> Bool {
        try pool.read { db in try Self.forgottenFilter(db).isForgotten(email.lowercased()) }
    }

    /// The salt of forgotten addresses' hashes, made on first use: without it the hashes of common addresses could be guessed.
    static func forgetSalt(_ db: Database) throws -> String {
        if let salt = try String.fetchOne(db, sql: "SELECT value FROM archive_value WHERE key = 'forget_salt'") { return salt }
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try db.execute(sql: "INSERT INTO archive_value (key, value) VALUES ('forget_salt', ?)", arguments: [salt])
        return salt
    }

    static func forgetHash(_ email: String, salt: String) -> String {
        Digest.sha256Hex(Array((salt + "\n" + email).utf8))
    }

    /// The forgotten hashes and the generation they belong to, read inside a transaction.
    static func forgottenFilter(_ db: Database) throws -> ForgottenFilter {
        let generation = try Int.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM archive_value WHERE key = 'forget_generation'") ?? 0
        guard generation > 0 else { return ForgottenFilter(generation: 0, salt: "", hashes: []) }
        let salt = try String.fetchOne(db, sql: "SELECT value FROM archive_value WHERE key = 'forget_salt'") ?? ""
        return ForgottenFilter(generation: generation, salt: salt,
                               hashes: Set(try String.fetchAll(db, sql: "SELECT hash FROM forgotten_address")))
    }

    /// Reads the current forget generation (0: nothing was ever forgotten).
    static func forgetGeneration(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM archive_value WHERE key = 'forget_generation'") ?? 0
    }
}

/// The addresses `kith forget` erased, as salted hashes.
struct ForgottenFilter: Sendable {
    var generation: Int
    var salt: String
    var hashes: Set<String>

    func isForgotten(_ email: String) -> Bool {
        !hashes.isEmpty && hashes.contains(Archive.forgetHash(email, salt: salt))
    }
}
