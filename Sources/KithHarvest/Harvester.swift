import Foundation
import KithArchive
import KithConfig
import KithIMAP
import KithIMAPWire
import Logging

/// Harvests one account: log in through libcurl, walk the folders read-only, fetch new headers in
/// pipelined UID chunks, and commit each chunk with its folder cursor.
///
/// Blocking; call it from a thread that may block.
public struct Harvester: Sendable {
    public var chunkSize: UInt32 = 1000
    public var pipelineWindow = 4
    public var readTimeoutSeconds = 120
    public var connectTimeoutSeconds = 30
    public var environment = ProcessInfo.processInfo.environment
    /// Asked after each committed chunk; when it answers true the harvest ends there (graceful shutdown).
    public var shouldStop: @Sendable () -> Bool = { false }
    /// Told after each committed chunk how far the folder has come (for a progress line on a terminal).
    public var progress: (@Sendable (HarvestProgress) -> Void)?

    private let archive: Archive
    private let logger: Logger

    public init(archive: Archive, logger: Logger) {
        self.archive = archive
        self.logger = logger
    }

    /// Harvests `account`. Failures end up in the report (and the archive's account row), never thrown:
    /// other accounts go on, and committed work stays.
    public func harvest(_ account: AccountConfig) -> HarvestReport {
        var report = HarvestReport(account: account.name)
        let start = Date()
        var currentFolder: String?
        var currentRange: ClosedRange<UInt32>?
        var accountID: Int64?
        var before = 0
        let commits = CommitQueue()
        do {
            accountID = try archive.accountID(named: account.name)
            let session = try connect(account)
            defer { session.logout() }
            let policy = FolderPolicy(selection: account.folders)
            let extractor = MessageExtractor(ownerAddresses: account.addresses)
            before = try archive.messageCount()
            // A first harvest builds the secondary indexes once at its end, whichever way it ends.
            try archive.beginBulkLoad()
            defer { try? commits.drain(); try? archive.endBulkLoad() }
            func harvestFolder(_ mailbox: [UInt8], displayName: String) throws {
                currentFolder = displayName
                currentRange = nil
                let folder = try archive.folder(accountID: accountID!, name: mailbox, displayName: displayName)
                let server = try session.examine(mailbox)
                let plan = FolderSyncPlan.make(folder: folder, server: server, chunkSize: chunkSize)
                if let newValidity = plan.resetTo, folder.uidValidity != nil {
                    logger.notice("UIDVALIDITY changed; re-reading the folder (archived messages are kept, none counted twice)",
                                  metadata: ["account": "\(account.name)", "folder": "\(displayName)", "uidvalidity": "\(newValidity)"])
                }
                if let newValidity = plan.resetTo { try archive.resetFolder(id: folder.id, uidValidity: newValidity) }
                try archive.noteServerState(folderID: folder.id, uidNext: server.uidNext, serverCount: server.exists)
                guard !plan.ranges.isEmpty else {
                    report.foldersUnchanged += 1
                    return
                }
                report.foldersHarvested += 1
                var pending: [ArchivedMessage] = []
                var rangeIndex = 0
                currentRange = plan.ranges.first
                let folderStart = Date()
                let expected = min(Int(server.exists), plan.ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 })
                var folderDone = 0
                try session.uidFetch(ranges: plan.ranges, items: MessageExtractor.fetchItems, window: pipelineWindow, onMessage: { attributes in
                    guard let uid = attributes.uid else { return }
                    let headers = attributes.bodySections.first { $0.section.uppercased().hasPrefix("HEADER") }?.data ?? []
                    pending.append(extractor.extract(headerBytes: headers, uid: uid, internalDate: attributes.internalDate))
                }, onRangeComplete: { range in
                    // Replies arrive in order, so everything up to this range's end belongs to finished ranges.
                    let done = pending.filter { $0.uid <= range.upperBound }
                    pending.removeAll { $0.uid <= range.upperBound }
                    // Without UIDNEXT the range is open-ended: the cursor moves only as far as what was seen.
                    let cursor = server.uidNext == nil ? (done.map(\.uid).max() ?? 0) : range.upperBound
                    report.messagesFetched += done.count
                    folderDone += done.count
                    let shown = HarvestProgress(account: account.name, folder: displayName, done: folderDone,
                                                total: max(expected, folderDone), seconds: 0)
                    let received = Date()
                    try commits.submit { [archive, progress, logger] in
                        let started = Date()
                        try archive.commit(done, folderID: folder.id, uidValidity: server.uidValidity, lastUID: cursor)
                        logger.debug("committed \(done.count) messages up to UID \(cursor)", metadata: [
                            "account": "\(account.name)", "folder": "\(displayName)",
                            "queued_ms": "\(Int(started.timeIntervalSince(received) * 1000))",
                            "commit_ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                        ])
                        var committed = shown
                        committed.seconds = Date().timeIntervalSince(folderStart)
                        progress?(committed)
                    }
                    rangeIndex += 1
                    currentRange = rangeIndex < plan.ranges.count ? plan.ranges[rangeIndex] : nil
                    if shouldStop() { throw HarvestStopped() }
                })
            }

            // Folders harvested before are examined first, LIST comes after them: after a LIST, some servers
            // (Dovecot with Maildir among them) re-scan each folder opened in that session, which costs a
            // no-op harvest of a large INBOX a fifth of a second.
            // INBOX exists on every server, so a first harvest reads it, usually the largest folder, before LIST too.
            var examined: Set<[UInt8]> = []
            var known = try archive.folders(accountID: accountID!).map { (name: $0.name, displayName: $0.displayName) }
            if !known.contains(where: { $0.displayName.uppercased() == "INBOX" }) { known.insert((Array("INBOX".utf8), "INBOX"), at: 0) }
            for known in known {
                let entry = ListEntry(attributes: [], delimiter: nil, name: known.name)
                guard policy.includes(entry, displayName: known.displayName) else { continue }
                do {
                    try harvestFolder(known.name, displayName: known.displayName)
                    examined.insert(known.name)
                } catch IMAPError.commandFailed(let command, _) where command.hasPrefix("EXAMINE") {
                    // Deleted or renamed on the server: its archive stays; LIST below finds a new name.
                    logger.info("folder no longer on the server; its archive is kept",
                                metadata: ["account": "\(account.name)", "folder": "\(known.displayName)"])
                }
            }
            let entries = try session.listMailboxes()
            let names = entries.map { ModifiedUTF7.decode($0.name) }
            report.unmatchedPatterns = (account.folders.include + account.folders.exclude).filter { pattern in
                !names.contains { FolderPolicy.matches($0, pattern: pattern) }
            }
            for pattern in report.unmatchedPatterns {
                logger.warning("folders pattern \"\(pattern)\" matches no folder on the server", metadata: ["account": "\(account.name)"])
            }
            for (entry, displayName) in zip(entries, names) where !examined.contains(entry.name) && policy.includes(entry, displayName: displayName) {
                try harvestFolder(entry.name, displayName: displayName)
            }
            try commits.drain()
            try archive.endBulkLoad()
            currentFolder = nil
            report.newMessages = try archive.messageCount() - before
            report.seconds = Date().timeIntervalSince(start)
            try archive.recordHarvest(accountID: accountID!, error: nil)
        } catch is HarvestStopped {
            // The chunk in flight is committed before the harvest ends.
            try? commits.drain()
            report.stopped = true
            report.newMessages = ((try? archive.messageCount()) ?? before) - before
            report.seconds = Date().timeIntervalSince(start)
            logger.notice("harvest stopped after the chunk in flight was committed", metadata: ["account": "\(account.name)"])
        } catch {
            // What arrived whole before the failure is kept.
            try? commits.drain()
            let (reason, retry) = Self.describe(error)
            report.error = HarvestError(account: account.name, folder: currentFolder, uidRange: currentRange, reason: reason, retry: retry)
            report.seconds = Date().timeIntervalSince(start)
            if let accountID { try? archive.recordHarvest(accountID: accountID, error: report.error!.description) }
            logger.error("\(report.error!)")
        }
        return report
    }

    private struct HarvestStopped: Error {}

    /// Logs in; an OAuth2 token the server refuses is fetched once more (it may have just expired), then reported.
    func connect(_ account: AccountConfig) throws -> IMAPSession {
        if account.allowPlaintext && account.url.lowercased().hasPrefix("imap://") {
            logger.warning("connecting without TLS (allow_plaintext = true)", metadata: ["account": "\(account.name)"])
        }
        let attempts = account.auth.usesToken ? 2 : 1
        for attempt in 1...attempts {
            let secret = try account.password.resolve(environment: environment) { warning in
                logger.warning("\(warning)", metadata: ["account": "\(account.name)"])
            }
            do {
                return try IMAPSession(ConnectionSettings(
                    url: account.url, username: account.username, password: Secret(secret),
                    bearerMechanism: account.auth.usesToken ? account.auth.rawValue.uppercased() : nil,
                    caFile: account.tlsCAFile, allowPlaintext: account.allowPlaintext,
                    connectTimeoutSeconds: connectTimeoutSeconds, readTimeoutSeconds: readTimeoutSeconds,
                    parserOptions: ResponseParserOptions(maxLiteralSize: MessageExtractor.maximumHeaderBytes * 4)))
            } catch {
                // 67 is CURLE_LOGIN_DENIED.
                guard case .curl(67, _) = error, attempt < attempts else { throw error }
                logger.notice("the server refused the OAuth2 token; fetching a fresh one", metadata: ["account": "\(account.name)"])
            }
        }
        throw IMAPError.protocolViolation("unreachable: no login attempt was made")
    }

    private static func describe(_ error: Error) -> (String, IMAPError.RetryClass) {
        switch error {
        case let imap as IMAPError: (imap.description, imap.retryClass)
        case let password as PasswordError: (password.description, .never)
        case let archive as ArchiveError: (archive.description, .later)
        default: ("\(error)", .later)
        }
    }
}
