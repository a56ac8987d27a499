import Foundation
import GRDB

/// One LinkedIn connection, as LinkedIn's export lists it.
public struct LinkedInConnection: Sendable, Equatable {
    public var firstName: String
    public var lastName: String
    /// The profile address.
    public var url: String?
    /// Lowercase; LinkedIn's export often leaves it blank.
    public var email: String?
    public var company: String?
    public var position: String?
    /// `YYYY-MM-DD`.
    public var connectedOn: String?

    public init(firstName: String, lastName: String, url: String?, email: String?, company: String?, position: String?, connectedOn: String?) {
        self.firstName = firstName
        self.lastName = lastName
        self.url = url
        self.email = email?.lowercased()
        self.company = company
        self.position = position
        self.connectedOn = connectedOn
    }

    public var fullName: String { [firstName, lastName].filter { !$0.isEmpty }.joined(separator: " ") }
}

extension Archive {
    /// Stores `connections`, replacing an earlier import of the same profile (by URL, else by name and e-mail).
    /// Returns how many were new.
    @discardableResult
    public func storeLinkedIn(_ connections: [LinkedInConnection]) throws -> Int {
        try pool.write { db in
            var added = 0
            let forgotten = try Self.forgottenFilter(db)
            for connection in connections {
                // A person erased with `kith forget` does not come back with their LinkedIn row.
                if let email = connection.email, forgotten.isForgotten(email) { continue }
                let existing: Int64?
                if let url = connection.url, !url.isEmpty {
                    existing = try Int64.fetchOne(db, sql: "SELECT id FROM linkedin_connection WHERE url = ?", arguments: [url])
                } else {
                    existing = try Int64.fetchOne(db, sql: """
                        SELECT id FROM linkedin_connection WHERE first_name = ? AND last_name = ? AND COALESCE(email, '') = ?
                        """, arguments: [connection.firstName, connection.lastName, connection.email ?? ""])
                }
                if let existing { try db.execute(sql: "DELETE FROM linkedin_connection WHERE id = ?", arguments: [existing]) } else { added += 1 }
                try db.execute(sql: """
                    INSERT INTO linkedin_connection (first_name, last_name, url, email, company, position, connected_on, imported_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [connection.firstName, connection.lastName, connection.url, connection.email, connection.company,
                                     connection.position, connection.connectedOn, Self.now()])
            }
            return added
        }
    }

    /// Every stored connection, by name.
    public func linkedInConnections() throws -> [LinkedInConnection] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM linkedin_connection ORDER BY last_name, first_name").map { row in
                LinkedInConnection(firstName: row["first_name"], lastName: row["last_name"], url: row["url"], email: row["email"],
                                   company: row["company"], position: row["position"], connectedOn: row["connected_on"])
            }
        }
    }

    /// The connection of each archived address that has one (joined by e-mail only).
    public func linkedInByEmail() throws -> [String: LinkedInConnection] {
        var byEmail: [String: LinkedInConnection] = [:]
        for connection in try linkedInConnections() {
            if let email = connection.email, !email.isEmpty { byEmail[email] = connection }
        }
        return byEmail
    }
}
