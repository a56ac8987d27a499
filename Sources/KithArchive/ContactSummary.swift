/// One correspondent's numbers, by the exact rules in the README (and the JSON export's keys).
public struct ContactSummary: Sendable, Equatable, Codable {
    /// The identity: lowercased.
    public var email: String
    /// The address as most messages wrote it, when that is not all lowercase (`reply+AbC@example.com`); for display.
    public var spelling: String?
    /// The decoded display name this address used in the most messages (ties: the most recent).
    public var name: String?
    /// Names of the accounts whose folders held a message naming this contact.
    public var accounts: [String]
    /// Distinct messages from the owner with the contact in To, Cc or Bcc.
    public var sent: Int
    /// Distinct messages not from the owner with the contact in From.
    public var received: Int
    /// Distinct messages with the contact in From, To, Cc or Bcc.
    public var messages: Int
    /// `YYYY-MM-DDTHH:MM:SSZ` of the earliest and latest of those messages.
    public var firstSeen: String?
    public var lastSeen: String?
    /// Received mail from it was automated, or its local part is a no-reply name.
    public var automated: Bool

    /// How to show the address: its spelling, else the identity.
    public var shown: String { spelling ?? email }

    enum CodingKeys: String, CodingKey {
        case email, spelling, name, accounts, sent, received, messages, automated
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
    }

    public init(email: String, spelling: String? = nil, name: String?, accounts: [String], sent: Int, received: Int, messages: Int,
                firstSeen: String?, lastSeen: String?, automated: Bool) {
        self.email = email
        self.spelling = spelling
        self.name = name
        self.accounts = accounts
        self.sent = sent
        self.received = received
        self.messages = messages
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.automated = automated
    }
}

/// Which contacts a query returns.
public struct ContactFilter: Sendable {
    /// Case-insensitive substring of the address or of any name the contact used.
    public var search: String?
    public var account: String?
    public var includeAutomated: Bool
    /// Include addresses `kith ignore` rules match (left out by default).
    public var includeIgnored: Bool

    public init(search: String? = nil, account: String? = nil, includeAutomated: Bool = true, includeIgnored: Bool = false) {
        self.search = search
        self.account = account
        self.includeAutomated = includeAutomated
        self.includeIgnored = includeIgnored
    }
}
