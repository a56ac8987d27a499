import GRDB

/// A card `kith sync-carddav` created on a server, as last written there.
public struct CardDAVRecord: Sendable, Equatable {
    public var uid: String
    /// The card's address on the server, relative to the collection.
    public var href: String
    public var etag: String?
    /// The person's addresses when the card was written; empty once `kith forget` erased them.
    public var addresses: [String]
    /// SHA-256 of the card's text, to tell whether it needs writing again.
    public var contentHash: String

    public init(uid: String, href: String, etag: String?, addresses: [String], contentHash: String) {
        self.uid = uid
        self.href = href
        self.etag = etag
        self.addresses = addresses
        self.contentHash = contentHash
    }
}

extension Archive {
    /// The cards kith created in `collection`.
    public func cardDAVRecords(collection: String) throws -> [CardDAVRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM carddav_card WHERE collection = ? ORDER BY uid", arguments: [collection]).map { row in
                CardDAVRecord(uid: row["uid"], href: row["href"], etag: row["etag"],
                              addresses: (row["addresses"] as String).split(separator: "\n").map(String.init), contentHash: row["content_hash"])
            }
        }
    }

    public func saveCardDAVRecord(_ record: CardDAVRecord, collection: String) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO carddav_card (collection, uid, href, etag, addresses, content_hash, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(collection, uid) DO UPDATE SET href = excluded.href, etag = excluded.etag, addresses = excluded.addresses,
                  content_hash = excluded.content_hash, synced_at = excluded.synced_at
                """, arguments: [collection, record.uid, record.href, record.etag, record.addresses.joined(separator: "\n"), record.contentHash, Self.now()])
        }
    }

    public func removeCardDAVRecord(uid: String, collection: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM carddav_card WHERE collection = ? AND uid = ?", arguments: [collection, uid])
        }
    }
}
