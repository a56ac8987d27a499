import GRDB

/// The statements of one commit transaction, prepared once and bound per row: a message, its location
/// and, for a message new to the archive, its correspondents' addresses and roles.
struct CommitWriter {
    /// Rows of `message_address` a single INSERT carries: one statement per message instead of one per row.
    static let linksPerStatement = 8

    private let db: Database
    private let path: String
    private let insertMessage: BoundStatement
    private let findMessage: BoundStatement
    private let insertLocation: BoundStatement
    private let insertAddress: BoundStatement
    private let findAddress: BoundStatement
    /// `insertLinks[k - 1]` inserts k rows; prepared when first needed.
    private var insertLinks: [BoundStatement?] = Array(repeating: nil, count: linksPerStatement)
    private var links: [(addressID: Int64, correspondent: Correspondent)] = []

    init(_ db: Database, path: String, folderID: Int64, uidValidity: UInt32) throws {
        self.db = db
        self.path = path
        insertMessage = try BoundStatement(db, sql: """
            INSERT INTO message (identity, date, direction, automated, archived_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(identity) DO NOTHING
            """)
        findMessage = try BoundStatement(db, sql: "SELECT id FROM message WHERE identity = ?")
        insertLocation = try BoundStatement(db, sql: "INSERT OR IGNORE INTO message_location (folder_id, uidvalidity, uid, message_id) VALUES (?, ?, ?, ?)")
        insertAddress = try BoundStatement(db, sql: "INSERT INTO address (email) VALUES (?) ON CONFLICT(email) DO NOTHING")
        findAddress = try BoundStatement(db, sql: "SELECT id FROM address WHERE email = ?")
        try insertMessage.bind(5, Archive.now())
        try insertLocation.bind(1, folderID)
        try insertLocation.bind(2, Int64(uidValidity))
    }

    /// Archives `message` (or, when its identity is archived already, only its new location).
    mutating func write(_ message: ArchivedMessage, memory: inout Archive.CommitMemory) throws {
        try insertMessage.bind(1, message.identity)
        try insertMessage.bind(2, message.date)
        try insertMessage.bind(3, message.direction.rawValue)
        try insertMessage.bind(4, message.automated ? 1 : 0)
        let inserted = try insertMessage.insert()
        let messageID = try inserted ?? existing(findMessage, message.identity, what: "message")
        try insertLocation.bind(3, Int64(message.uid))
        try insertLocation.bind(4, messageID)
        try insertLocation.step()
        guard inserted != nil else { return }
        links.removeAll(keepingCapacity: true)
        for correspondent in message.correspondents {
            guard let addressID = try addressID(correspondent.email, memory: &memory) else { continue }
            links.append((addressID, correspondent))
        }
        var start = 0
        while start < links.count {
            let end = min(links.count, start + Self.linksPerStatement)
            try writeLinks(links[start..<end], messageID: messageID)
            start = end
        }
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

    private mutating func writeLinks(_ rows: ArraySlice<(addressID: Int64, correspondent: Correspondent)>, messageID: Int64) throws {
        let statement = try linkStatement(rows: rows.count)
        var parameter: Int32 = 1
        for row in rows {
            try statement.bind(parameter, messageID)
            try statement.bind(parameter + 1, row.addressID)
            try statement.bind(parameter + 2, row.correspondent.role.rawValue)
            try statement.bind(parameter + 3, row.correspondent.name)
            try statement.bind(parameter + 4, row.correspondent.spelling)
            parameter += 5
        }
        try statement.step()
    }

    private mutating func linkStatement(rows: Int) throws -> BoundStatement {
        if let statement = insertLinks[rows - 1] { return statement }
        let values = Array(repeating: "(?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
        let statement = try BoundStatement(db, sql: "INSERT OR IGNORE INTO message_address (message_id, address_id, role, name, spelling) VALUES \(values)")
        insertLinks[rows - 1] = statement
        return statement
    }

    /// The id a lookup finds for a row whose insert did nothing because it exists.
    private func existing(_ find: BoundStatement, _ key: String, what: String) throws -> Int64 {
        try find.bind(1, key)
        guard let id = try find.step() else { throw ArchiveError(path: path, message: "\(what) \(key) vanished while archiving") }
        return id
    }
}
