import Foundation
import Testing
import KithTestSupport
@testable import KithDaemon
import KithArchive
import KithConfig
import KithHarvest
import Logging

@Suite struct HarvestScheduleTests {
    @Test func successWaitsTheIntervalWithinItsJitter() {
        var schedule = HarvestSchedule(intervalSeconds: 3600)
        #expect(schedule.succeeded(random: 0) == 3240)
        #expect(schedule.succeeded(random: 1) == 3960)
        #expect(schedule.succeeded(random: 0.5) == 3600)
    }

    @Test func failuresBackOffExponentiallyUpToACap() {
        var schedule = HarvestSchedule(intervalSeconds: 6 * 3600)
        let delays = (0..<12).map { _ in schedule.failed() }
        #expect(Array(delays.prefix(5)) == [60, 120, 240, 480, 960])
        #expect(delays.last == 6 * 3600)
        #expect(delays == delays.sorted())
        _ = schedule.succeeded(random: 0.5)
        #expect(schedule.failures == 0)
        #expect(schedule.failed() == 60, "a success resets the backoff")
    }

    @Test func retriesNeverWaitLongerThanTheInterval() {
        var schedule = HarvestSchedule(intervalSeconds: 300)
        let delays = (0..<10).map { _ in schedule.failed() }
        #expect(delays.max() == 300)
    }
}

@Suite struct SystemdNotifierTests {
    @Test(arguments: ["path", "abstract"])
    func sendsDatagramsToTheNotifySocket(kind: String) throws {
        let name = kind == "path"
            ? FileManager.default.temporaryDirectory.appendingPathComponent("kith-notify-\(UUID().uuidString.prefix(8))").path
            : "@kith-notify-\(UUID().uuidString.prefix(8))"
        let receiver = try NotifySocket(name: name)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(notifier.watchdogInterval == .seconds(1))
        notifier.ready(status: "1 accounts")
        notifier.reloading()
        notifier.watchdog()
        notifier.stopping()
        #expect(receiver.receive(timeout: 2) == "READY=1\nSTATUS=1 accounts")
        let reloading = try #require(receiver.receive(timeout: 2))
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(UInt64(reloading.split(separator: "=").last!) ?? 0 > 0)
        #expect(receiver.receive(timeout: 2) == "WATCHDOG=1")
        #expect(receiver.receive(timeout: 2) == "STOPPING=1")
    }

    @Test func withoutNotifySocketNothingIsSentAndNoWatchdog() {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"])
        #expect(notifier.socketPath == nil)
        #expect(notifier.watchdogInterval == nil, "a watchdog meant for another pid is not ours")
        notifier.ready(status: "x")
    }
}


@Suite struct DeprovisionCountdownTests {
    private let plan = Deprovisioning(closesOnDay: 20_000)
    private func warned(_ thresholds: Int...) -> Set<AccountEvent> {
        Set(thresholds.map { AccountEvent(event: DeprovisionCountdown.warningEvent, threshold: $0) })
    }

    @Test func nothingBeforeTheFirstThreshold() {
        #expect(DeprovisionCountdown.actions(today: 20_000 - 31, plan: plan, recorded: []) == [])
    }

    @Test func eachThresholdOnceAndCatchUpWithTheMostUrgent() {
        #expect(DeprovisionCountdown.actions(today: 20_000 - 30, plan: plan, recorded: []) == [.warn(threshold: 30, daysLeft: 30, covering: [30])])
        #expect(DeprovisionCountdown.actions(today: 20_000 - 30, plan: plan, recorded: warned(30)) == [])
        // Down from 30 days to 5: one message, for 7, settling 14 and 7; and the export.
        #expect(DeprovisionCountdown.actions(today: 20_000 - 5, plan: plan, recorded: warned(30)) == [
            .warn(threshold: 7, daysLeft: 5, covering: [14, 7]), .finalExport(daysLeft: 5),
        ])
    }

    @Test func theExportRunsOnceAtItsDay() {
        let exported: Set<AccountEvent> = warned(30, 14).union([AccountEvent(event: DeprovisionCountdown.exportEvent)])
        #expect(DeprovisionCountdown.actions(today: 20_000 - 14, plan: plan, recorded: warned(30, 14)) == [.finalExport(daysLeft: 14)])
        #expect(DeprovisionCountdown.actions(today: 20_000 - 13, plan: plan, recorded: exported) == [])
    }

    @Test func closesAfterTheLastDayOnce() {
        #expect(DeprovisionCountdown.actions(today: 20_000, plan: plan, recorded: warned(30, 14, 7, 3, 1)).contains(.close) == false)
        #expect(DeprovisionCountdown.actions(today: 20_001, plan: plan, recorded: []) == [.close])
        #expect(DeprovisionCountdown.actions(today: 20_001, plan: plan, recorded: [AccountEvent(event: DeprovisionCountdown.closedEvent)]) == [])
    }

    @Test func earlyCutoffOnlyForAnAccountThatUsedToWork() {
        #expect(DeprovisionCountdown.actions(today: 0, plan: nil, recorded: [], failingHours: 25, everSucceeded: true) == [.earlyCutoff(failingHours: 25)])
        #expect(DeprovisionCountdown.actions(today: 0, plan: nil, recorded: [], failingHours: 25, everSucceeded: false) == [])
        #expect(DeprovisionCountdown.actions(today: 0, plan: nil, recorded: [], failingHours: 23, everSucceeded: true) == [])
        #expect(DeprovisionCountdown.actions(today: 0, plan: nil, recorded: [AccountEvent(event: DeprovisionCountdown.cutoffEvent)], failingHours: 99, everSucceeded: true) == [])
    }

    @Test func aDisabledAccountIsCutOffAtOnceEvenIfItNeverWorked() {
        #expect(DeprovisionCountdown.actions(today: 0, plan: nil, recorded: [], failingHours: 0, everSucceeded: false, failure: .accountDisabled) == [.accountDisabled])
        #expect(DeprovisionCountdown.actions(today: 0, plan: nil, recorded: [AccountEvent(event: DeprovisionCountdown.cutoffEvent)],
                                             failingHours: 0, failure: .accountDisabled) == [], "once only")
        #expect(DeprovisionCountdown.actions(today: 0, plan: nil, recorded: [], failingHours: nil, failure: .accountDisabled) == [],
                "a later success ends it")
    }

    @Test func signInNeededRemindsOnceADay() {
        let sentToday: Set = [AccountEvent(event: DeprovisionCountdown.signInEvent, threshold: 500)]
        #expect(DeprovisionCountdown.actions(today: 500, plan: nil, recorded: [], failingHours: 1, failure: .signInNeeded) == [.signInNeeded])
        #expect(DeprovisionCountdown.actions(today: 500, plan: nil, recorded: sentToday, failingHours: 3, failure: .signInNeeded) == [])
        #expect(DeprovisionCountdown.actions(today: 501, plan: nil, recorded: sentToday, failingHours: 26, failure: .signInNeeded) == [.signInNeeded])
    }
}

@Suite struct EventNotifierTests {
    private func quiet() -> Logger {
        var logger = Logger(label: "kith-test")
        logger.logLevel = .critical
        return logger
    }

    @Test func desktopAndCommandChannelsRunWithTheEventInTheirEnvironment() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-notify")
        let record = directory.appendingPathComponent("calls").path
        let fake = directory.appendingPathComponent("notify-send").path
        try "#!/bin/sh\necho \"desktop $*\" >> \(record)\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let settings = NotifySettings(command: ["/bin/sh", "-c", "echo \"command $KITH_ACCOUNT $KITH_EVENT $KITH_DAYS_LEFT\" >> \(record)"], desktop: true)
        let notifier = EventNotifier(settings: settings, logger: quiet(),
                                     environment: ["PATH": "\(directory.path):/usr/bin:/bin", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/dev/null"])
        let failed = notifier.send(AccountNotice(account: "acme", event: "warning", daysLeft: 7, message: "acme closes in 7 days"))
        #expect(failed.isEmpty)
        let calls = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        #expect(calls == ["command acme warning 7", "desktop --urgency=critical kith: acme acme closes in 7 days"])
    }

    @Test func aFailingChannelIsRetriedReportedAndDoesNotStopTheOthers() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-notify")
        let record = directory.appendingPathComponent("calls").path
        let closedPort = try DovecotServer.freeLoopbackPort()
        var notifier = EventNotifier(settings: NotifySettings(
            webhook: WebhookSettings(url: "http://127.0.0.1:\(closedPort)/hook", format: .json),
            command: ["/bin/sh", "-c", "echo ran >> \(record)"]), logger: quiet())
        notifier.retryDelays = [0.01, 0.01]
        let failed = notifier.send(AccountNotice(account: "acme", event: "closed", daysLeft: 0, message: "closed"))
        #expect(failed == ["webhook"])
        #expect(try String(contentsOfFile: record, encoding: .utf8) == "ran\n")
    }
}
