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
    /// Folders the server would not open this time; the others were read. Retried at the next harvest.
    public var failingFolders: [FolderFailure] = []
    /// The harvest ended early because the daemon is stopping; what was committed stays.
    public var stopped = false
    /// Messages flagged \Draft that were fetched and not archived.
    public var draftsSkipped = 0
    /// Messages the server listed but sent no data for (Exchange); not asked for again.
    public var missingMessages = 0
    /// Times the server throttled and the harvest waited, then resumed; and how long it waited in all.
    public var throttleWaits = 0
    public var throttledSeconds: Double = 0

    public init(account: String) {
        self.account = account
    }

    /// One line for people: `acme: 3 folders, 120 new messages (2 unchanged) in 0.4 s`.
    public var summary: String {
        if let error { return "\(account): FAILED after \(newMessages) new messages: \(error)" }
        let seconds = (self.seconds * 100).rounded() / 100
        var line = "\(account): \(foldersHarvested) folders read, \(foldersUnchanged) unchanged, \(newMessages) new messages in \(seconds) s"
        if missingMessages > 0 { line += "; \(missingMessages) messages listed by the server came without data (missing)" }
        if throttleWaits > 0 {
            line += "; waited \((throttledSeconds * 10).rounded() / 10) s for the server's throttling (\(throttleWaits)x)"
        }
        if !failingFolders.isEmpty { line += "; PARTIAL: " + FolderFailure.summary(failingFolders) }
        return line
    }
}

/// A folder that could not be read, with the server's words.
public struct FolderFailure: Sendable, Equatable {
    public var folder: String
    public var reason: String

    public init(folder: String, reason: String) {
        self.folder = folder
        self.reason = reason
    }

    /// `1 folder failing: Secret: NO [NOPERM] Permission denied`.
    public static func summary(_ failures: [FolderFailure]) -> String {
        let count = failures.count == 1 ? "1 folder failing" : "\(failures.count) folders failing"
        return count + ": " + failures.map { "\($0.folder): \($0.reason)" }.joined(separator: "; ")
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
