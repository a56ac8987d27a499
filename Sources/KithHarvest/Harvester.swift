import Foundation
import KithArchive
import KithConfig
import KithIMAP
import KithIMAPWire
import KithOAuth
import Logging

/// Harvests one account: log in through libcurl, walk the folders read-only, fetch new headers in
/// pipelined UID chunks, and commit each chunk with its folder cursor.
///
/// Blocking; call it from a thread that may block.
public struct Harvester: Sendable {
    /// Mailbox names longer than this (bytes, as the server sends them) are skipped with a warning.
    public static let maximumFolderNameBytes = 1024

    public var chunkSize: UInt32 = 1000
    public var pipelineWindow = 4
    public var readTimeoutSeconds = 120
    public var connectTimeoutSeconds = 30
    /// How long one command's whole answer may take, however steadily its bytes trickle in.
    public var commandTimeoutSeconds = 300
    public var environment = ProcessInfo.processInfo.environment
    /// How often one harvest waits out the server's throttling and resumes, and the longest wait it accepts.
    public var maximumThrottleResumes = 3
    public var maximumThrottleWaitSeconds = 120.0
    /// Waits between retries of a token endpoint that answers 5xx, 429 or not at all.
    public var tokenRetryDelays: [Double] = [2, 10, 30]
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
    /// other accounts go on, and committed work stays. A folder the server refuses to open is reported
    /// (and retried next time) while the other folders are read.
    public func harvest(_ account: AccountConfig) -> HarvestReport {
        let run = HarvestRun(account: account)
        let start = Date()
        var before = 0
        do {
            run.accountID = try archive.accountID(named: account.name)
            before = try archive.messageCount()
            // A first harvest builds the secondary indexes once at its end, whichever way it ends.
            try archive.beginBulkLoad()
            defer { try? run.commits.drain(); try? archive.endBulkLoad() }
            try resumingAfterThrottling(run) { session in try walkFolders(run, session: session) }
            try run.commits.drain()
            try archive.endBulkLoad()
            run.folder = nil
            run.report.newMessages = try archive.messageCount() - before
            run.report.seconds = Date().timeIntervalSince(start)
            try archive.recordHarvest(accountID: run.accountID!, error: nil)
        } catch is HarvestStopped {
            // The chunk in flight is committed before the harvest ends.
            try? run.commits.drain()
            run.report.stopped = true
            run.report.newMessages = ((try? archive.messageCount()) ?? before) - before
            run.report.seconds = Date().timeIntervalSince(start)
            logger.notice("harvest stopped after the chunk in flight was committed", metadata: ["account": "\(account.name)"])
        } catch {
            // What arrived whole before the failure is kept.
            try? run.commits.drain()
            let (reason, retry) = Self.describe(error)
            var failure = HarvestError(account: account.name, folder: run.folder, uidRange: run.range, reason: reason, retry: retry)
            failure.retryAt = (error as? HarvestThrottled)?.until
            switch error as? OAuth2Error {
            case .signInNeeded?:
                failure.cause = .signInNeeded
                failure.reason += "; run kith login --account \(account.name)"
            case .accountDisabled?: failure.cause = .accountDisabled
            default: break
            }
            run.report.error = failure
            run.report.seconds = Date().timeIntervalSince(start)
            if let accountID = run.accountID { try? archive.recordHarvest(accountID: accountID, error: failure.description) }
            logger.error("\(failure)")
        }
        return run.report
    }

    /// Connects and runs `walk`. When the server throttles, waits as long as it asks (up to
    /// `maximumThrottleWaitSeconds`), reconnects and walks again, which resumes from the folder cursors
    /// committed so far; at most `maximumThrottleResumes` times. One connection at a time, always.
    private func resumingAfterThrottling(_ run: HarvestRun, _ walk: (IMAPSession) throws -> Void) throws {
        while true {
            let session = try connect(run.account)
            do {
                defer { session.logout() }
                try walk(session)
                return
            } catch {
                guard let throttle = Throttle.recognise(error) else { throw error }
                try run.commits.drain()
                guard throttle.seconds <= maximumThrottleWaitSeconds, run.report.throttleWaits < maximumThrottleResumes else {
                    throw HarvestThrottled(until: Date().addingTimeInterval(max(throttle.seconds, Throttle.defaultSeconds)), throttle: throttle)
                }
                logger.notice("the server is throttling; waiting \(throttle.seconds) s, then resuming: \(throttle.serverText)",
                              metadata: ["account": "\(run.account.name)", "folder": "\(run.folder ?? "-")"])
                try pause(seconds: throttle.seconds)
                run.report.throttleWaits += 1
                run.report.throttledSeconds += throttle.seconds
            }
        }
    }

    /// Sleeps in short steps so that a stopping daemon need not wait out the whole pause.
    private func pause(seconds: Double) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if shouldStop() { throw HarvestStopped() }
            Thread.sleep(forTimeInterval: min(0.25, max(0, end.timeIntervalSinceNow)))
        }
    }

    /// What one harvest carries from folder to folder.
    private final class HarvestRun {
        let account: AccountConfig
        let policy: FolderPolicy
        let extractor: MessageExtractor
        let commits = CommitQueue()
        var accountID: Int64?
        var report: HarvestReport
        /// Where the harvest is, for the error that may end it.
        var folder: String?
        var range: ClosedRange<UInt32>?

        init(account: AccountConfig) {
            self.account = account
            policy = FolderPolicy(selection: account.folders)
            extractor = MessageExtractor(ownerAddresses: account.addresses)
            report = HarvestReport(account: account.name)
        }
    }

    private struct HarvestStopped: Error {}

    /// Folders harvested before are examined first, LIST comes after them: after a LIST, some servers
    /// (Dovecot with Maildir among them) re-scan each folder opened in that session, which costs a
    /// no-op harvest of a large INBOX a fifth of a second. INBOX exists on every server, so a first
    /// harvest reads it, usually the largest folder, before LIST too.
    private func walkFolders(_ run: HarvestRun, session: IMAPSession) throws {
        let account = run.account
        var examined: Set<[UInt8]> = []
        var refusedBeforeList: [[UInt8]: String] = [:]
        var known = try archive.folders(accountID: run.accountID!).map { (name: $0.name, displayName: $0.displayName) }
        if !known.contains(where: { $0.displayName.uppercased() == "INBOX" }) { known.insert((Array("INBOX".utf8), "INBOX"), at: 0) }
        for known in known where known.name.count <= Self.maximumFolderNameBytes {
            let entry = ListEntry(attributes: [], delimiter: nil, name: known.name)
            guard run.policy.includes(entry, displayName: known.displayName) else { continue }
            if let refusal = try harvestFolder(known.name, displayName: known.displayName, run: run, session: session) {
                // Deleted or renamed on the server, or unreadable: LIST below tells which.
                refusedBeforeList[known.name] = refusal
            } else {
                examined.insert(known.name)
            }
        }
        let entries = try session.listMailboxes()
        let names = entries.map { ModifiedUTF7.decode($0.name) }
        run.report.unmatchedPatterns = (account.folders.include + account.folders.exclude).filter { pattern in
            !names.contains { FolderPolicy.matches($0, pattern: pattern) }
        }
        for pattern in run.report.unmatchedPatterns {
            logger.warning("folders pattern \"\(pattern)\" matches no folder on the server", metadata: ["account": "\(account.name)"])
        }
        let listed = Set(entries.map(\.name))
        for (entry, displayName) in zip(entries, names) where !examined.contains(entry.name) && run.policy.includes(entry, displayName: displayName) {
            guard entry.name.count <= Self.maximumFolderNameBytes else {
                logger.warning("folder name of \(entry.name.count) bytes is longer than \(Self.maximumFolderNameBytes); skipped",
                               metadata: ["account": "\(account.name)", "folder": "\(displayName.prefix(80))..."])
                continue
            }
            let refusal = try refusedBeforeList[entry.name] ?? harvestFolder(entry.name, displayName: displayName, run: run, session: session)
            if let refusal { try recordRefusal(refusal, name: entry.name, displayName: displayName, run: run) }
        }
        for (name, _) in refusedBeforeList where !listed.contains(name) {
            let displayName = ModifiedUTF7.decode(name)
            logger.info("folder no longer on the server; its archive is kept", metadata: ["account": "\(account.name)", "folder": "\(displayName)"])
            // Gone is not failing: an error recorded for it before no longer makes the account partial.
            try archive.recordFolderError(folderID: try archive.folder(accountID: run.accountID!, name: name, displayName: displayName).id, error: nil)
        }
    }

    /// A folder the server would not open: reported, remembered for `status`, retried at the next harvest.
    private func recordRefusal(_ reason: String, name: [UInt8], displayName: String, run: HarvestRun) throws {
        run.report.failingFolders.append(FolderFailure(folder: displayName, reason: reason))
        let folder = try archive.folder(accountID: run.accountID!, name: name, displayName: displayName)
        try archive.recordFolderError(folderID: folder.id, error: reason)
        logger.error("folder cannot be read; the other folders go on: \(reason)",
                     metadata: ["account": "\(run.account.name)", "folder": "\(displayName)"])
    }

    /// Reads one folder's new messages. Returns the server's refusal when it would not open the folder.
    private func harvestFolder(_ mailbox: [UInt8], displayName: String, run: HarvestRun, session: IMAPSession) throws -> String? {
        let account = run.account
        run.folder = displayName
        run.range = nil
        let server: MailboxStatus
        do {
            server = try session.examine(mailbox)
        } catch {
            guard case .commandFailed(_, let status) = error else { throw error }
            return status.summary
        }
        let folder = try archive.folder(accountID: run.accountID!, name: mailbox, displayName: displayName)
        var plan = FolderSyncPlan.make(folder: folder, server: server, chunkSize: chunkSize)
        if let newValidity = plan.resetTo, folder.uidValidity != nil {
            logger.notice("UIDVALIDITY changed; re-reading the folder (archived messages are kept, none counted twice)",
                          metadata: ["account": "\(account.name)", "folder": "\(displayName)", "uidvalidity": "\(newValidity)"])
        }
        if let newValidity = plan.resetTo { try archive.resetFolder(id: folder.id, uidValidity: newValidity) }
        try archive.noteServerState(folderID: folder.id, uidNext: server.uidNext, serverCount: server.exists)
        if let span = plan.uidSpan {
            run.range = span
            plan.ranges = FolderSyncPlan.chunks(of: try session.existingUIDs(in: span), within: span, chunkSize: chunkSize)
        }
        guard let first = plan.ranges.first, let last = plan.ranges.last else {
            run.report.foldersUnchanged += 1
            return nil
        }
        run.report.foldersHarvested += 1
        let planned = first.lowerBound...last.upperBound
        var pending: [ArchivedMessage] = []
        var rangeIndex = 0
        run.range = first
        let folderStart = Date()
        let expected = min(Int(server.exists), plan.ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 })
        var folderDone = 0
        let extractor = run.extractor
        try session.uidFetch(ranges: plan.ranges, items: MessageExtractor.fetchItems, window: pipelineWindow, onMessage: { attributes in
            // UID 0 is not a UID; a UID outside what was asked for is not an answer to it.
            guard let uid = attributes.uid, uid > 0, planned.contains(uid) else { return }
            let headers = attributes.bodySections.first { $0.section.uppercased().hasPrefix("HEADER") }?.data ?? []
            pending.append(extractor.extract(headerBytes: headers, uid: uid, internalDate: attributes.internalDate))
        }, onRangeComplete: { range in
            // Replies arrive in order, so everything up to this range's end belongs to finished ranges.
            let done = pending.filter { $0.uid <= range.upperBound }
            pending.removeAll { $0.uid <= range.upperBound }
            // Without UIDNEXT the range is open-ended: the cursor moves only as far as what was seen.
            let cursor = server.uidNext == nil ? (done.map(\.uid).max() ?? 0) : range.upperBound
            run.report.messagesFetched += done.count
            folderDone += done.count
            let shown = HarvestProgress(account: account.name, folder: displayName, done: folderDone,
                                        total: max(expected, folderDone), seconds: 0)
            let received = Date()
            try run.commits.submit { [archive, progress, logger] in
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
            run.range = rangeIndex < plan.ranges.count ? plan.ranges[rangeIndex] : nil
            if shouldStop() { throw HarvestStopped() }
        })
        return nil
    }

    /// Logs in; an OAuth2 token the server refuses is fetched once more (it may have just expired), then reported.
    func connect(_ account: AccountConfig) throws -> IMAPSession {
        if account.allowPlaintext && account.url.lowercased().hasPrefix("imap://") {
            logger.warning("connecting without TLS (allow_plaintext = true)", metadata: ["account": "\(account.name)"])
        }
        let attempts = account.auth.usesToken ? 2 : 1
        let tokens = try account.oauth2.map { settings throws(OAuth2Error) in
            var source = AccessTokenSource(account: account.name, client: OAuth2Client(settings: settings, clientSecret: try OAuth2Client.resolveClientSecret(settings)),
                                           store: TokenStore(archivePath: archive.path), logger: logger)
            source.retryDelays = tokenRetryDelays
            return source
        }
        for attempt in 1...attempts {
            let secret: String
            do {
                if let tokens {
                    secret = try tokens.accessToken(forceRefresh: attempt > 1)
                } else {
                    secret = try account.password.resolve(environment: environment) { warning in
                        logger.warning("\(warning)", metadata: ["account": "\(account.name)"])
                    }
                }
            } catch let failure as PasswordError {
                if let output = failure.commandErrorOutput {
                    logger.error("password_command error output (shown here only, not stored): \(output)", metadata: ["account": "\(account.name)"])
                }
                throw failure
            }
            do {
                return try IMAPSession(ConnectionSettings(
                    url: account.url, username: account.username, password: Secret(secret),
                    bearerMechanism: account.auth.usesToken ? account.auth.rawValue.uppercased() : nil,
                    caFile: account.tlsCAFile, allowPlaintext: account.allowPlaintext,
                    connectTimeoutSeconds: connectTimeoutSeconds, readTimeoutSeconds: readTimeoutSeconds,
                    commandTimeoutSeconds: commandTimeoutSeconds,
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
        case let oauth as OAuth2Error: (oauth.description, oauth.retryClass)
        case let archive as ArchiveError: (archive.description, .later)
        default: ("\(error)", .later)
        }
    }
}
