import Foundation
import KithArchive
import KithConfig
import KithHarvest
import KithMail
import Logging
import ServiceLifecycle
import UnixSignals

/// `kith daemon`: harvests every account at start and then on its schedule, each account on its own;
/// SIGHUP re-reads the configuration (an invalid one is rejected and the old one kept), SIGTERM stops
/// after the chunk in flight is committed. Speaks sd_notify when run by systemd.
public struct DaemonService: Service {
    private let configPath: String
    private let archive: Archive
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let initialConfig: Config
    private let board: ScheduleBoard
    private let now: @Sendable () -> Date
    private let cardDAVLock = NSLock()

    /// - Parameter now: the clock for deprovisioning dates (tests move it; scheduling always uses real time).
    public init(configPath: String, config: Config, archive: Archive, logger: Logger, notifier: SystemdNotifier = SystemdNotifier(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.configPath = configPath
        self.initialConfig = config
        self.archive = archive
        self.logger = logger
        self.notifier = notifier
        self.board = ScheduleBoard()
        self.now = now
    }

    private enum Outcome: Sendable { case reload, shutdown, idle }

    public func run() async throws {
        var config = initialConfig
        notifier.ready(status: await board.summary(config))
        logger.notice("kith daemon started", metadata: ["accounts": "\(config.accounts.count)"])
        while true {
            let current = config
            let outcome = await withTaskGroup(of: Outcome.self) { group -> Outcome in
                for account in current.harvestedAccounts {
                    group.addTask { await accountLoop(account, config: current); return .idle }
                }
                if let digest = current.digest {
                    group.addTask { await digestLoop(digest, config: current); return .idle }
                }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) { return .reload }
                    return .idle
                }
                group.addTask {
                    do { try await gracefulShutdown() } catch { return .idle }
                    return .shutdown
                }
                if let interval = notifier.watchdogInterval {
                    group.addTask {
                        while !Task.isCancelled {
                            notifier.watchdog()
                            try? await Task.sleep(for: interval)
                        }
                        return .idle
                    }
                }
                var result = Outcome.idle
                while let next = await group.next() {
                    if next != .idle {
                        result = next
                        break
                    }
                }
                group.cancelAll()
                return result
            }
            guard outcome == .reload else { break }
            notifier.reloading()
            do {
                config = try ConfigLoader.load(path: configPath)
                logger.notice("configuration reloaded", metadata: ["accounts": "\(config.accounts.map(\.name).joined(separator: ","))"])
            } catch {
                logger.error("configuration rejected, keeping the previous one: \(error)")
            }
            notifier.ready(status: await board.summary(config))
        }
        notifier.stopping()
        logger.notice("kith daemon stopping")
    }

    /// Harvest, wait for the schedule, repeat; until cancelled (reload or shutdown).
    private func accountLoop(_ account: AccountConfig, config: Config) async {
        while !Task.isCancelled {
            if await review(account, config: config) {
                // Closed: never contacted again; everything archived stays.
                await board.noteFirstHarvestDone(account)
                notifier.status(await board.summary(config))
                try? await Task.sleep(for: .seconds(365 * 86_400))
                return
            }
            let wait = await board.secondsUntilDue(account)
            if wait > 0 {
                do { try await Task.sleep(for: .seconds(wait)) } catch { return }
            }
            let report = await harvest(account)
            if report.stopped { return }
            await board.record(account, report: report)
            _ = await review(account, config: config)
            if let error = report.error {
                let retry = await board.secondsUntilDue(account)
                logger.warning("harvest failed: \(error); retrying in \(retry) s", metadata: ["account": "\(account.name)"])
            } else {
                logger.notice("\(report.summary)", metadata: ["account": "\(account.name)"])
                if let carddav = config.carddav, carddav.sync { await syncCardDAV(carddav) }
            }
            notifier.status(await board.summary(config))
        }
    }

    /// The digest of fading relationships: the first once every account has had its first harvest of this run,
    /// then once per period. The time of the last one is kept in the archive, so a restart does not send it
    /// again and a daemon that was down sends one digest, not one per missed period.
    private func digestLoop(_ settings: DigestSettings, config: Config) async {
        while !Task.isCancelled, !(await board.firstHarvestDone(config)) {
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
        while !Task.isCancelled {
            let last = (try? archive.storedValue(Self.digestSentKey))?.flatMap(Double.init)
            let wait = (last ?? 0) + Double(settings.everySeconds) - Date().timeIntervalSince1970
            if wait > 0 {
                do { try await Task.sleep(for: .seconds(wait)) } catch { return }
                continue
            }
            do {
                try await sendDigest(settings, config: config)
            } catch {
                logger.error("digest failed; trying again in an hour: \(error)")
                do { try await Task.sleep(for: .seconds(3600)) } catch { return }
            }
        }
    }

    static let digestSentKey = "digest.last_sent_at"
    static let digestLedKey = "digest.closed_accounts_led"

    private func sendDigest(_ settings: DigestSettings, config: Config) async throws {
        let led = Set(try archive.storedValue(Self.digestLedKey)?.split(separator: "\n").map(String.init) ?? [])
        let digest = try FadingDigest.make(archive: archive, limit: settings.limit, now: Int64(now().timeIntervalSince1970), alreadyLed: led)
        if digest.people.isEmpty && digest.closedAccounts.allSatisfy({ $0.people.isEmpty }) {
            logger.notice("digest: no strong relationship is fading; nothing sent")
        } else {
            let events = EventNotifier(settings: config.notify, logger: logger)
            _ = await blocking { events.send(digest) }  // each failed channel is logged by the notifier
        }
        try archive.storeValue(String(Int64(Date().timeIntervalSince1970)), for: Self.digestSentKey)
        let nowLed = led.union(digest.closedAccounts.map(\.account))
        if nowLed != led { try archive.storeValue(nowLed.sorted().joined(separator: "\n"), for: Self.digestLedKey) }
    }

    /// `[carddav] sync = true`: after each successful harvest, one sync at a time (two at once could create a person twice).
    private func syncCardDAV(_ settings: CardDAVSettings) async {
        let sync = CardDAVSync(settings: settings, archive: archive)
        let now = Int64(now().timeIntervalSince1970)
        let lock = cardDAVLock
        let result = await blocking { lock.withLock { Result { () throws(CardDAVError) in try sync.run(now: now) } } }
        switch result {
        case .success(let outcome):
            logger.notice("carddav: \(outcome.summary)")
            for conflict in outcome.conflicts { logger.warning("carddav: not overwritten, edited on the server: \(conflict)") }
            for failure in outcome.failures { logger.error("carddav: \(failure)") }
        case .failure(let error):
            logger.error("carddav: \(error)")
        }
    }

    /// Applies the deprovisioning countdown for today: warnings once each, the final export, closing.
    /// Returns true when the account is closed.
    private func review(_ account: AccountConfig, config: Config) async -> Bool {
        let today = Int(now().timeIntervalSince1970 / 86_400)
        do {
            let summary = try archive.accountSummaries().first { $0.name == account.name }
            let failingHours = summary?.failingSince.map { Int((now().timeIntervalSince1970 - Double($0)) / 3600) }
            let actions = DeprovisionCountdown.actions(
                today: today, plan: account.deprovisioning, recorded: try archive.events(account: account.name),
                failingHours: failingHours, everSucceeded: summary?.lastSuccessAt != nil, cutoffHours: account.earlyCutoffHours,
                failure: summary?.lastError.flatMap(HarvestError.cause(ofStoredError:)))
            let events = EventNotifier(settings: config.notify, logger: logger)
            let at = Int64(now().timeIntervalSince1970)
            var closed = summary?.closedAt != nil
            for action in actions {
                let reach = try archive.accountReach(account: account.name)
                let through = reach.lastMessage.map { String(MailDate.iso8601($0).prefix(10)) } ?? "no mail yet"
                switch action {
                case .warn(let threshold, let daysLeft, let covering):
                    let closes = account.deprovisioning?.closesOnText ?? "?"
                    let notice = AccountNotice(account: account.name, event: DeprovisionCountdown.warningEvent, daysLeft: daysLeft,
                        message: "\(account.name) closes on \(closes): \(daysLeft) days left. kith holds \(reach.contacts) contacts from it, through \(through).")
                    _ = await blocking { events.send(notice) }  // each failed channel is logged by the notifier
                    for value in covering { try archive.recordEvent(AccountEvent(event: DeprovisionCountdown.warningEvent, threshold: value), account: account.name, at: at) }
                    logger.notice("warning sent", metadata: ["account": "\(account.name)", "threshold": "\(threshold)"])
                case .finalExport(let daysLeft):
                    let day = String(MailDate.iso8601(Int64(today) * 86_400).prefix(10))
                    let directory = "\(config.archive.exportDirectory)/\(account.name)/\(day)"
                    let exporter = FinalExporter(archive: archive, logger: logger)
                    let result = await blocking { Result { try exporter.export(account, to: directory) } }
                    switch result {
                    case .success(let manifest):
                        let notice = AccountNotice(account: account.name, event: DeprovisionCountdown.exportEvent, daysLeft: daysLeft,
                            message: "Final export of \(account.name): \(manifest.summary), in \(directory).", exportPath: directory)
                        _ = await blocking { events.send(notice) }  // each failed channel is logged by the notifier
                        if manifest.complete {
                            try archive.recordEvent(AccountEvent(event: DeprovisionCountdown.exportEvent), account: account.name, at: at, detail: directory)
                        }
                    case .failure(let error):
                        logger.error("final export failed; it resumes at the next harvest: \(error)", metadata: ["account": "\(account.name)"])
                    }
                case .close:
                    try archive.markClosed(account: account.name, at: at)
                    try archive.recordEvent(AccountEvent(event: DeprovisionCountdown.closedEvent), account: account.name, at: at)
                    let notice = AccountNotice(account: account.name, event: DeprovisionCountdown.closedEvent, daysLeft: 0,
                        message: "\(account.name) is closed; kith will not contact it again. Its \(reach.contacts) contacts stay in the archive.")
                    _ = await blocking { events.send(notice) }  // each failed channel is logged by the notifier
                    closed = true
                case .earlyCutoff(let hours):
                    try archive.recordEvent(AccountEvent(event: DeprovisionCountdown.cutoffEvent), account: account.name, at: at)
                    let notice = AccountNotice(account: account.name, event: DeprovisionCountdown.cutoffEvent, daysLeft: nil,
                        message: "URGENT: every login to \(account.name) has failed for \(hours) hours; the employer may have closed it early. The archive holds \(reach.contacts) contacts through \(through).")
                    _ = await blocking { events.send(notice) }  // each failed channel is logged by the notifier
                case .accountDisabled:
                    try archive.recordEvent(AccountEvent(event: DeprovisionCountdown.cutoffEvent), account: account.name, at: at)
                    let notice = AccountNotice(account: account.name, event: DeprovisionCountdown.cutoffEvent, daysLeft: nil,
                        message: "URGENT: the identity provider says the account \(account.name) is disabled: the employer has closed it. Everything archived stays: \(reach.contacts) contacts through \(through).")
                    _ = await blocking { events.send(notice) }  // each failed channel is logged by the notifier
                case .signInNeeded:
                    try archive.recordEvent(AccountEvent(event: DeprovisionCountdown.signInEvent, threshold: today), account: account.name, at: at)
                    let notice = AccountNotice(account: account.name, event: DeprovisionCountdown.signInEvent, daysLeft: nil,
                        message: "\(account.name) needs a new sign-in: run kith login --account \(account.name). Harvests wait until then.")
                    _ = await blocking { events.send(notice) }  // each failed channel is logged by the notifier
                }
            }
            return closed
        } catch {
            logger.error("deprovisioning check failed: \(error)", metadata: ["account": "\(account.name)"])
            return false
        }
    }

    /// Runs blocking work (libcurl, subprocesses, file I/O) on a thread of its own, off the cooperative pool.
    private func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }

    /// Runs the blocking harvest on a thread of its own; cancellation asks it to stop after the chunk in flight.
    private func harvest(_ account: AccountConfig) async -> HarvestReport {
        let flag = StopFlag()
        var harvester = Harvester(archive: archive, logger: logger)
        harvester.shouldStop = { flag.isRaised }
        let job = harvester
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(returning: job.harvest(account))
                }
            }
        } onCancel: {
            flag.raise()
        }
    }
}

/// Each account's schedule, kept across reloads so an unchanged account keeps its rhythm.
actor ScheduleBoard {
    private struct Entry {
        var schedule: HarvestSchedule
        var dueAt: Date
        var url: String
        var lastSuccess: Date?
    }

    private var entries: [String: Entry] = [:]
    private var firstHarvests: Set<String> = []

    /// A closed account has nothing to harvest: for the digest, its first harvest is done.
    func noteFirstHarvestDone(_ account: AccountConfig) {
        firstHarvests.insert(account.name)
    }

    /// Every account of `config` has been harvested (or found closed) once in this run.
    func firstHarvestDone(_ config: Config) -> Bool {
        config.harvestedAccounts.allSatisfy { firstHarvests.contains($0.name) }
    }

    /// Zero for an account never seen or whose server changed: it is harvested now.
    func secondsUntilDue(_ account: AccountConfig) -> Int {
        guard let entry = entries[account.name], entry.url == account.url else { return 0 }
        return max(0, Int(entry.dueAt.timeIntervalSinceNow.rounded(.up)))
    }

    func record(_ account: AccountConfig, report: HarvestReport) {
        firstHarvests.insert(account.name)
        var entry = entries[account.name] ?? Entry(schedule: HarvestSchedule(intervalSeconds: account.intervalSeconds), dueAt: Date(), url: account.url)
        entry.schedule.intervalSeconds = account.intervalSeconds
        entry.url = account.url
        let delay = report.error == nil ? entry.schedule.succeeded(random: Double.random(in: 0...1)) : entry.schedule.failed()
        if report.error == nil { entry.lastSuccess = Date() }
        entry.dueAt = Date().addingTimeInterval(TimeInterval(delay))
        // A throttled server named when to come back: not earlier, and not much later either.
        if let retryAt = report.error?.retryAt { entry.dueAt = retryAt }
        entries[account.name] = entry
    }

    /// One line for `systemctl status`: accounts, failures, next harvest.
    func summary(_ config: Config) -> String {
        let accounts = config.harvestedAccounts
        guard !accounts.isEmpty else { return "no accounts configured; add one and reload" }
        let failing = accounts.filter { (entries[$0.name]?.schedule.failures ?? 0) > 0 }.map(\.name)
        let next = accounts.compactMap { entries[$0.name]?.dueAt }.min()
        var text = "\(accounts.count) accounts"
        if !failing.isEmpty { text += ", failing: \(failing.joined(separator: ", "))" }
        if let next {
            text += ", next harvest \(ISO8601DateFormatter().string(from: next))"
        } else {
            text += ", harvesting"
        }
        return text
    }
}
