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
            defer { try? run.drain(); try? archive.endBulkLoad() }
            let readStart = PipelineStage.threadCPUSeconds()
            try resumingAfterThrottling(run) { session in try walkFolders(run, session: session) }
            let readSeconds = PipelineStage.threadCPUSeconds() - readStart
            try run.drain()
            logger.debug("harvest CPU by stage", metadata: [
                "account": "\(account.name)", "read_ms": "\(Int(readSeconds * 1000))",
                "extraction_ms": "\(Int(run.extractions.cpuSeconds * 1000))", "commit_ms": "\(Int(run.commits.cpuSeconds * 1000))",
            ])
            try archive.endBulkLoad()
            run.folder = nil
            run.report.newMessages = try archive.messageCount() - before
            run.report.seconds = Date().timeIntervalSince(start)
            try archive.recordHarvest(accountID: run.accountID!, error: nil)
        } catch is HarvestStopped {
            // The chunk in flight is committed before the harvest ends.
            try? run.drain()
            run.report.stopped = true
            run.report.newMessages = ((try? archive.messageCount()) ?? before) - before
            run.report.seconds = Date().timeIntervalSince(start)
            logger.notice("harvest stopped after the chunk in flight was committed", metadata: ["account": "\(account.name)"])
        } catch {
            // What arrived whole before the failure is kept.
            try? run.drain()
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
                try run.drain()
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
    fileprivate final class HarvestRun {
        let account: AccountConfig
        let extractor: MessageExtractor
        let extractions = PipelineStage(label: "kith.extract")
        let commits = PipelineStage(label: "kith.commit")
        var accountID: Int64?
        var report: HarvestReport
        /// Where the harvest is, for the error that may end it.
        var folder: String?
        var range: ClosedRange<UInt32>?

        init(account: AccountConfig) {
            self.account = account
            extractor = MessageExtractor(ownerAddresses: account.addresses)
            report = HarvestReport(account: account.name)
        }

        /// Waits for every range handed to the extraction and commit stages; throws the first failure.
        func drain() throws {
            try extractions.drain()
            try commits.drain()
        }
    }

    private struct HarvestStopped: Error {}

    /// One round trip learns the folder tree and every known folder's state: STATUS for each folder
    /// harvested before, and LIST, pipelined. `FolderPlan` decides what to read; only folders whose state
    /// changed are opened, each by `harvestFolder`.
    private func walkFolders(_ run: HarvestRun, session: IMAPSession) throws {
        let account = run.account
        let known = try archive.folders(accountID: run.accountID!)
        let (entries, statuses) = try listWithStatus(session, known: known)
        let plan = FolderPlan.make(listing: entries, selection: account.folders, maximumNameBytes: Self.maximumFolderNameBytes)
        let names = plan.folders.map(\.displayName)
        run.report.unmatchedPatterns = (account.folders.include + account.folders.exclude).filter { pattern in
            !names.contains { FolderPolicy.matches($0, pattern: pattern) }
        }
        for pattern in run.report.unmatchedPatterns {
            logger.warning("folders pattern \"\(pattern)\" matches no folder on the server", metadata: ["account": "\(account.name)"])
        }
        for folder in plan.folders {
            guard let reason = folder.skipReason else { continue }
            logger.info("folder skipped: \(reason)", metadata: ["account": "\(account.name)", "folder": "\(folder.displayName.prefix(200))"])
        }
        let knownByName = Dictionary(known.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let failing = Set(try archive.failingFolders(account: account.name).map(\.folder))
        for folder in plan.read {
            if let state = knownByName[folder.name], let status = statuses[folder.name], !failing.contains(folder.displayName),
               Self.isUnchanged(state, status) {
                run.report.foldersUnchanged += 1
                continue
            }
            if let refusal = try harvestFolder(folder.name, displayName: folder.displayName, run: run, session: session) {
                try recordRefusal(refusal, name: folder.name, displayName: folder.displayName, run: run)
            }
        }
        let listed = Set(entries.map(\.name))
        for state in known where !listed.contains(state.name) && failing.contains(state.displayName) {
            logger.info("folder no longer on the server; its archive is kept", metadata: ["account": "\(account.name)", "folder": "\(state.displayName)"])
            // Gone is not failing: an error recorded for it before no longer makes the account partial.
            try archive.recordFolderError(folderID: state.id, error: nil)
        }
    }

    /// The STATUS of `known` folders and LIST, pipelined: one round trip. INBOX first, then the other
    /// folders, then LIST: Dovecot with Maildir re-scans INBOX when it is touched after another mailbox or
    /// after a LIST in the same session, and answers LIST-STATUS as slowly. At 100,000 messages: 1.0 ms
    /// in this order, 134 ms with INBOX's STATUS last, 170 ms for LIST then STATUS, 180 ms for LIST-STATUS
    /// (so kith does not use LIST-STATUS).
    private func listWithStatus(_ session: IMAPSession, known: [FolderState]) throws -> ([ListEntry], [[UInt8]: MailboxStatusData]) {
        let imported = Array(Importer.folderPrefix.utf8)
        let asked = known.filter { $0.name.count <= Self.maximumFolderNameBytes && !$0.name.starts(with: imported) }
        let isInbox = { (folder: FolderState) in folder.displayName.uppercased() == "INBOX" }
        var commands = (asked.filter(isInbox) + asked.filter { !isInbox($0) }).map { Command.status(mailbox: $0.name) }
        commands.append(.list(pattern: "*", returnSpecialUse: session.capabilities.contains("SPECIAL-USE")))
        let (untagged, completions) = try session.pipeline(commands)
        guard let listed = completions.last, listed.kind == .ok else { throw IMAPError.commandFailed(command: "LIST", status: completions[completions.count - 1]) }
        var entries: [ListEntry] = []
        var statuses: [[UInt8]: MailboxStatusData] = [:]
        for response in untagged {
            switch response {
            case .list(let entry): entries.append(entry)
            case .mailboxStatus(let status): statuses[status.name] = status
            default: break
            }
        }
        return (entries, statuses)
    }

    /// Nothing to read: same UIDVALIDITY and UIDNEXT, the cursor at the end, the same message count.
    static func isUnchanged(_ state: FolderState, _ status: MailboxStatusData) -> Bool {
        guard let validity = status.uidValidity, let next = status.uidNext, let messages = status.messages else { return false }
        guard state.uidValidity == validity, state.uidNext == next, state.serverCount == messages else { return false }
        // An empty folder has nothing to read wherever its cursor is.
        return messages == 0 || UInt64(state.lastUID) + 1 >= UInt64(next)
    }

    /// A folder the server would not open: reported, remembered for `status`, retried at the next harvest.
    private func recordRefusal(_ reason: String, name: [UInt8], displayName: String, run: HarvestRun) throws {
        run.report.failingFolders.append(FolderFailure(folder: displayName, reason: reason))
        let folder = try archive.folder(accountID: run.accountID!, name: name, displayName: displayName)
        try archive.recordFolderError(folderID: folder.id, error: reason)
        logger.error("folder cannot be read; the other folders go on: \(reason)",
                     metadata: ["account": "\(run.account.name)", "folder": "\(displayName)"])
    }

    /// Reads one folder's new messages: open it read-only, plan from the UIDs that exist, fetch the plan.
    /// Returns the server's refusal when it would not open the folder.
    private func harvestFolder(_ mailbox: [UInt8], displayName: String, run: HarvestRun, session: IMAPSession) throws -> String? {
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
        let (ranges, listed) = try plan(folder, server: server, run: run, session: session)
        guard !ranges.isEmpty else {
            run.report.foldersUnchanged += 1
            return nil
        }
        run.report.foldersHarvested += 1
        let fetch = FolderFetch(harvester: self, run: run, folder: folder, server: server, ranges: ranges, listed: listed)
        run.range = ranges.first
        try session.uidFetch(ranges: ranges, items: MessageExtractor.fetchItems(gmail: session.capabilities.contains("X-GM-EXT-1")),
                             window: pipelineWindow, onMessage: fetch.accept, onRangeComplete: fetch.complete)
        if fetch.missingCount > 0 {
            run.report.missingMessages += fetch.missingCount
            try archive.addMissing(folderID: folder.id, count: fetch.missingCount)
            let shown = fetch.firstMissing.map(String.init).joined(separator: ", ") + (fetch.missingCount > fetch.firstMissing.count ? ", ..." : "")
            logger.warning("the server listed \(fetch.missingCount) messages but sent no data for them (UIDs \(shown)); counted as missing, not asked for again",
                           metadata: ["account": "\(run.account.name)", "folder": "\(displayName)"])
        }
        return nil
    }

    /// The UID ranges to fetch, planned from the UIDs that exist, never from UIDNEXT: sparse UIDs cost
    /// nothing, and a UID the server lists but then sends no data for (Exchange) is known to be missing.
    /// Also resets the folder when UIDVALIDITY changed and records what EXAMINE said.
    private func plan(_ folder: FolderState, server: MailboxStatus, run: HarvestRun, session: IMAPSession) throws
        -> (ranges: [ClosedRange<UInt32>], listed: UIDRuns?) {
        let plan = FolderSyncPlan.make(folder: folder, server: server, chunkSize: chunkSize)
        if let newValidity = plan.resetTo, folder.uidValidity != nil {
            logger.notice("UIDVALIDITY changed; re-reading the folder (archived messages are kept, none counted twice)",
                          metadata: ["account": "\(run.account.name)", "folder": "\(folder.displayName)", "uidvalidity": "\(newValidity)"])
        }
        if let newValidity = plan.resetTo { try archive.resetFolder(id: folder.id, uidValidity: newValidity) }
        try archive.noteServerState(folderID: folder.id, uidNext: server.uidNext, serverCount: server.exists)
        // Without UIDNEXT the one range is open-ended, and only what comes back moves the cursor.
        guard server.uidNext != nil, let span = plan.uidSpan ?? plan.ranges.first.map({ $0.lowerBound...plan.ranges[plan.ranges.count - 1].upperBound })
        else { return (plan.ranges, nil) }
        run.range = span
        let existing = try session.existingUIDs(in: span)
        guard !existing.isEmpty else {
            // Everything up to UIDNEXT is gone: the cursor moves to the span's end, nothing to fetch.
            try archive.commit([], folderID: folder.id, uidValidity: server.uidValidity, lastUID: span.upperBound)
            return ([], UIDRuns(sortedUnique: []))
        }
        let sorted = FolderSyncPlan.sortedUnique(existing, within: span)
        return (FolderSyncPlan.chunks(of: sorted, within: span, chunkSize: chunkSize), UIDRuns(sortedUnique: sorted))
    }

    /// Extracts one finished range's messages, then commits them with the folder's new cursor, each on its stage.
    fileprivate func commit(_ fetched: [FetchedHeaders], folder: FolderState, uidValidity: UInt32, cursor: UInt32,
                            run: HarvestRun, shown: HarvestProgress, started folderStart: Date) throws {
        let accountName = run.account.name
        try run.extractions.submit { [archive, progress, logger, extractor = run.extractor, commits = run.commits] in
            let done = fetched.map {
                extractor.extract(headerBytes: $0.headers, uid: $0.uid, internalDate: $0.internalDate, gmailMessageID: $0.gmailMessageID)
            }
            let received = Date()
            try commits.submit {
                let started = Date()
                try archive.commit(done, folderID: folder.id, uidValidity: uidValidity, lastUID: cursor)
                logger.debug("committed \(done.count) messages up to UID \(cursor)", metadata: [
                    "account": "\(accountName)", "folder": "\(folder.displayName)",
                    "queued_ms": "\(Int(started.timeIntervalSince(received) * 1000))",
                    "commit_ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                ])
                var committed = shown
                committed.seconds = Date().timeIntervalSince(folderStart)
                progress?(committed)
            }
        }
        if shouldStop() { throw HarvestStopped() }
    }

    /// One message's reply as the network thread keeps it until its range is finished.
    fileprivate struct FetchedHeaders: Sendable {
        var uid: UInt32
        var headers: [UInt8]
        var internalDate: String?
        var gmailMessageID: UInt64?
    }

    /// One folder's fetch in flight: replies become messages, and each range the server confirms is
    /// committed with the cursor at its end.
    private final class FolderFetch {
        let harvester: Harvester
        let run: HarvestRun
        let folder: FolderState
        let server: MailboxStatus
        let ranges: [ClosedRange<UInt32>]
        let planned: ClosedRange<UInt32>
        let expected: Int
        let started = Date()
        /// The UIDs the server listed (nil: not asked), to tell which it then sent no data for.
        let listed: UIDRuns?
        /// The UIDs the server sent a reply for since the last finished range.
        private var answered: Set<UInt32> = []
        /// The first UID of the range being read.
        private var nextLower: UInt32
        /// Listed UIDs of finished ranges the server sent no reply for: how many, and the first ten.
        private(set) var missingCount = 0
        private(set) var firstMissing: [UInt32] = []
        private var pending: [FetchedHeaders] = []
        private var done = 0
        private var rangeIndex = 0

        init(harvester: Harvester, run: HarvestRun, folder: FolderState, server: MailboxStatus, ranges: [ClosedRange<UInt32>], listed: UIDRuns?) {
            self.harvester = harvester
            self.listed = listed
            self.run = run
            self.folder = folder
            self.server = server
            self.ranges = ranges
            planned = ranges[0].lowerBound...ranges[ranges.count - 1].upperBound
            nextLower = ranges[0].lowerBound
            expected = min(Int(server.exists), ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 })
        }

        func accept(_ attributes: FetchAttributes) {
            // UID 0 is not a UID; a UID outside what was asked for is not an answer to it.
            guard let uid = attributes.uid, uid > 0, planned.contains(uid) else { return }
            answered.insert(uid)
            // A draft is not correspondence (Gmail's All Mail holds drafts too).
            if attributes.isDraft {
                run.report.draftsSkipped += 1
                return
            }
            let headers = attributes.headerBytes ?? []
            pending.append(FetchedHeaders(uid: uid, headers: headers, internalDate: attributes.internalDate, gmailMessageID: attributes.gmailMessageID))
        }

        func complete(_ range: ClosedRange<UInt32>) throws {
            // Replies arrive in order, so everything up to this range's end belongs to finished ranges.
            if let listed, nextLower <= range.upperBound {
                listed.forEach(in: nextLower...range.upperBound) { uid in
                    guard !answered.contains(uid) else { return }
                    missingCount += 1
                    if firstMissing.count < 10 { firstMissing.append(uid) }
                }
            }
            answered = answered.filter { $0 > range.upperBound }
            if range.upperBound != UInt32.max { nextLower = max(nextLower, range.upperBound + 1) }
            let finished = pending.filter { $0.uid <= range.upperBound }
            pending.removeAll { $0.uid <= range.upperBound }
            // Without UIDNEXT the range is open-ended: the cursor moves only as far as what was seen.
            let cursor = server.uidNext == nil ? (finished.map(\.uid).max() ?? 0) : range.upperBound
            run.report.messagesFetched += finished.count
            done += finished.count
            let shown = HarvestProgress(account: run.account.name, folder: folder.displayName, done: done,
                                        total: max(expected, done), seconds: 0)
            rangeIndex += 1
            run.range = rangeIndex < ranges.count ? ranges[rangeIndex] : nil
            try harvester.commit(finished, folder: folder, uidValidity: server.uidValidity, cursor: cursor, run: run, shown: shown, started: started)
        }
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
