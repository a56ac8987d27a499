/// What one account's harvest did.
public struct HarvestReport: Sendable {
    public var account: String
    public var foldersHarvested = 0
    public var foldersUnchanged = 0
    /// FETCH replies archived in this run (copies of known messages included).
    public var messagesFetched = 0
    /// Distinct messages new to the archive.
    public var newMessages = 0
    public var seconds: Double = 0
    /// Folder patterns from the config that matched no folder on the server.
    public var unmatchedPatterns: [String] = []
    public var error: HarvestError?
    /// The harvest ended early because the daemon is stopping; what was committed stays.
    public var stopped = false

    public init(account: String) {
        self.account = account
    }

    /// One line for people: `acme: 3 folders, 120 new messages (2 unchanged) in 0.4 s`.
    public var summary: String {
        if let error { return "\(account): FAILED after \(newMessages) new messages: \(error)" }
        let seconds = (self.seconds * 100).rounded() / 100
        return "\(account): \(foldersHarvested) folders read, \(foldersUnchanged) unchanged, \(newMessages) new messages in \(seconds) s"
    }
}

/// How far a folder's harvest has come.
public struct HarvestProgress: Sendable {
    public var account: String
    public var folder: String
    public var done: Int
    /// An estimate: the folder's message count, bounded by the UIDs still to fetch.
    public var total: Int
    public var seconds: Double

    /// `acme: INBOX 1200/3000 (4000/s, 1 s left)`.
    public var line: String {
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 ? Int((Double(total - done) / rate).rounded(.up)) : 0
        return "\(account): \(folder) \(done)/\(total) (\(Int(rate))/s, \(left) s left)"
    }
}
