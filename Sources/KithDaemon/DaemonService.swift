import Foundation
import KithArchive
import KithConfig
import KithHarvest
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

    public init(configPath: String, config: Config, archive: Archive, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()) {
        self.configPath = configPath
        self.initialConfig = config
        self.archive = archive
        self.logger = logger
        self.notifier = notifier
        self.board = ScheduleBoard()
    }

    private enum Outcome: Sendable { case reload, shutdown, idle }

    public func run() async throws {
        var config = initialConfig
        notifier.ready(status: await board.summary(config))
        logger.notice("kith daemon started", metadata: ["accounts": "\(config.accounts.count)"])
        while true {
            let current = config
            let outcome = await withTaskGroup(of: Outcome.self) { group -> Outcome in
                for account in current.accounts {
                    group.addTask { await accountLoop(account, config: current); return .idle }
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
            let wait = await board.secondsUntilDue(account)
            if wait > 0 {
                do { try await Task.sleep(for: .seconds(wait)) } catch { return }
            }
            let report = await harvest(account)
            if report.stopped { return }
            await board.record(account, report: report)
            if let error = report.error {
                let retry = await board.secondsUntilDue(account)
                logger.warning("harvest failed: \(error); retrying in \(retry) s", metadata: ["account": "\(account.name)"])
            } else {
                logger.notice("\(report.summary)", metadata: ["account": "\(account.name)"])
            }
            notifier.status(await board.summary(config))
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

    /// Zero for an account never seen or whose server changed: it is harvested now.
    func secondsUntilDue(_ account: AccountConfig) -> Int {
        guard let entry = entries[account.name], entry.url == account.url else { return 0 }
        return max(0, Int(entry.dueAt.timeIntervalSinceNow.rounded(.up)))
    }

    func record(_ account: AccountConfig, report: HarvestReport) {
        var entry = entries[account.name] ?? Entry(schedule: HarvestSchedule(intervalSeconds: account.intervalSeconds), dueAt: Date(), url: account.url)
        entry.schedule.intervalSeconds = account.intervalSeconds
        entry.url = account.url
        let delay = report.error == nil ? entry.schedule.succeeded(random: Double.random(in: 0...1)) : entry.schedule.failed()
        if report.error == nil { entry.lastSuccess = Date() }
        entry.dueAt = Date().addingTimeInterval(TimeInterval(delay))
        entries[account.name] = entry
    }

    /// One line for `systemctl status`: accounts, failures, next harvest.
    func summary(_ config: Config) -> String {
        let failing = config.accounts.filter { (entries[$0.name]?.schedule.failures ?? 0) > 0 }.map(\.name)
        let next = config.accounts.compactMap { entries[$0.name]?.dueAt }.min()
        var text = "\(config.accounts.count) accounts"
        if !failing.isEmpty { text += ", failing: \(failing.joined(separator: ", "))" }
        if let next {
            text += ", next harvest \(ISO8601DateFormatter().string(from: next))"
        } else {
            text += ", harvesting"
        }
        return text
    }
}
