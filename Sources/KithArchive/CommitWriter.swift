import GRDB

/// The statements of one commit transaction, prepared once and bound per row: a message, its location
/// and, for a message new to the archive, its correspondents' addresses and roles. Locations and
/// correspondents are written in INSERTs of up to `rowsPerStatement` rows; call `finish()` last.
struct CommitWriter {
    /// Rows one INSERT into `message_location` or `message_address` carries: SQLite's cost per statement
    /// is then paid once per 64 rows instead of once per row.
    static let rowsPerStatement = 64

    private let db: Database
    private let path: String
    private let insertMessage: BoundStatement
    private let findMessage: BoundStatement
    private let insertAddress: BoundStatement
    private let findAddress: BoundStatement
    private let folderID: Int64
    private let uidValidity: Int64
    /// `insertLinks[k - 1]` and `insertLocations[k - 1]` insert k rows; prepared when first needed.
    private var insertLinks: [BoundStatement?] = Array(repeating: nil, count: rowsPerStatement)
    private var insertLocations: [BoundStatement?] = Array(repeating: nil, count: rowsPerStatement)
    private var links: [(messageID: Int64, addressID: Int64, correspondent: Correspondent)] = []
    private var locations: [(uid: UInt32, messageID: Int64)] = []

    init(_ db: Database, path: String, folderID: Int64, uidValidity: UInt32) throws {
        self.db = db
        self.path = path
        self.folderID = folderID
        self.uidValidity = Int64(uidValidity)
        insertMessage = try BoundStatement(db, sql: """
            INSERT INTO message (identity, date, direction, automated, archived_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(identity) DO NOTHING
            """)
        findMessage = try BoundStatement(db, sql: "SELECT id FROM message WHERE identity = ?")
        insertAddress = try BoundStatement(db, sql: "INSERT INTO address (email) VALUES (?) ON CONFLICT(email) DO NOTHING")
        findAddress = try BoundStatement(db, sql: "SELECT id FROM address WHERE email = ?")
        try insertMessage.bind(5, Archive.now())
        links.reserveCapacity(Self.rowsPerStatement + 16)
        locations.reserveCapacity(Self.rowsPerStatement)
    }

    /// Archives `message` (or, when its identity is archived already, only its new location).
    mutating func write(_ message: ArchivedMessage, memory: inout Archive.CommitMemory) throws {
        try insertMessage.bind(1, message.identity)
        try insertMessage.bind(2, message.date)
        try insertMessage.bind(3, message.direction.rawValue)
        try insertMessage.bind(4, message.automated ? 1 : 0)
        let inserted = try insertMessage.insert()
        let messageID = try inserted ?? existing(findMessage, message.identity, what: "message")
        locations.append((message.uid, messageID))
        if locations.count == Self.rowsPerStatement { try writeLocations() }
        guard inserted != nil else { return }
        for correspondent in message.correspondents {
            guard let addressID = try addressID(correspondent.email, memory: &memory) else { continue }
            links.append((messageID, addressID, correspondent))
        }
        if links.count >= Self.rowsPerStatement { try writeLinks(keepingPartial: true) }
    }

    /// Writes the rows still waiting.
    mutating func finish() throws {
        if !locations.isEmpty { try writeLocations() }
        if !links.isEmpty { try writeLinks(keepingPartial: false) }
    }

    /// The address's id, created on first sight; nil for an address `kith forget` erased.
    private func addressID(_ email: String, memory: inout Archive.CommitMemory) throws -> Int64? {
        if let id = memory.addressIDs[email] { return id }
        guard !memory.filter.isForgotten(email) else { return nil }
        try insertAddress.bind(1, email)
        let id = try insertAddress.insert() ?? existing(findAddress, email, what: "address")
        memory.addressIDs[email] = id
        return id
    }

    private mutating func writeLocations() throws {
        let statement = try prepared(&insertLocations, rows: locations.count,
                                     sql: "INSERT OR IGNORE INTO message_location (folder_id, uidvalidity, uid, message_id) VALUES", row: "(?, ?, ?, ?)")
        var parameter: Int32 = 1
        for location in locations {
            try statement.bind(parameter, folderID)
            try statement.bind(parameter + 1, uidValidity)
            try statement.bind(parameter + 2, Int64(location.uid))
            try statement.bind(parameter + 3, location.messageID)
            parameter += 4
        }
        try statement.step()
        locations.removeAll(keepingCapacity: true)
    }

    /// Writes the waiting correspondents in full statements, and the rest too unless `keepingPartial`.
    private mutating func writeLinks(keepingPartial: Bool) throws {
        var start = 0
        while start < links.count {
            let end = min(links.count, start + Self.rowsPerStatement)
            if keepingPartial && end - start < Self.rowsPerStatement { break }
            let statement = try prepared(&insertLinks, rows: end - start,
                                         sql: "INSERT OR IGNORE INTO message_address (message_id, address_id, role, name, spelling) VALUES", row: "(?, ?, ?, ?, ?)")
            var parameter: Int32 = 1
            for link in links[start..<end] {
                try statement.bind(parameter, link.messageID)
                try statement.bind(parameter + 1, link.addressID)
                try statement.bind(parameter + 2, link.correspondent.role.rawValue)
                try statement.bind(parameter + 3, link.correspondent.name)
                try statement.bind(parameter + 4, link.correspondent.spelling)
                parameter += 5
            }
            try statement.step()
            start = end
        }
        links.removeFirst(start)
    }

    /// The INSERT of `rows` rows, prepared on first use.
    private func prepared(_ cache: inout [BoundStatement?], rows: Int, sql: String, row: String) throws -> BoundStatement {
        if let statement = cache[rows - 1] { return statement }
        let statement = try BoundStatement(db, sql: sql + " " + Array(repeating: row, count: rows).joined(separator: ", "))
        cache[rows - 1] = statement
        return statement
    }

    /// The id a lookup finds for a row whose insert did nothing because it exists.
    private func existing(_ find: BoundStatement, _ key: String, what: String) throws -> Int64 {
        try find.bind(1, key)
        guard let id = try find.step() else { throw ArchiveError(path: path, message: "\(what) \(key) vanished while archiving") }
        return id
    }
}
