/// Who a message names, as the archive stores it: one row per address and role.
public struct Correspondent: Hashable, Sendable, Codable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case from, sender, replyTo = "reply-to", to, cc, bcc
    }

    public var email: String
    public var name: String?
    public var role: Role
    /// The address as written when its local part was not all lowercase.
    public var spelling: String?

    public init(email: String, name: String?, role: Role, spelling: String? = nil) {
        self.email = email
        self.name = name
        self.role = role
        self.spelling = spelling
    }
}

/// A message reduced to what the archive keeps: identity, date, direction, and correspondents. No content.
public struct ArchivedMessage: Sendable {
    public enum Direction: String, Sendable, Codable { case sent, received }

    /// `Message-ID` without brackets, or `sha256:<hex>` of the fetched headers when there is none.
    public var identity: String
    /// Seconds since 1970, UTC: the `Date:` header, else INTERNALDATE, else nil.
    public var date: Int64?
    public var direction: Direction
    /// Carries List-Id, `Precedence: bulk|list|junk` or `Auto-Submitted` other than `no`.
    public var automated: Bool
    public var uid: UInt32
    /// Correspondents other than the owner, in header order.
    public var correspondents: [Correspondent]

    public init(identity: String, date: Int64?, direction: Direction, automated: Bool, uid: UInt32, correspondents: [Correspondent]) {
        self.identity = identity
        self.date = date
        self.direction = direction
        self.automated = automated
        self.uid = uid
        self.correspondents = correspondents
    }
}

/// The sync state of one folder: where the next harvest continues.
public struct FolderState: Sendable, Equatable {
    public var id: Int64
    public var name: [UInt8]
    public var displayName: String
    public var uidValidity: UInt32?
    /// The highest UID archived under `uidValidity` (0 when none).
    public var lastUID: UInt32
    public var uidNext: UInt32?
    public var serverCount: UInt32?
}
