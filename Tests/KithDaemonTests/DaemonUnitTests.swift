import Foundation
import Testing
import KithTestSupport
@testable import KithDaemon

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

