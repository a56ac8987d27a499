import Foundation
import Testing
import KithArchive
import KithTestSupport

@Suite(.serialized) struct DaemonTests {
    /// With no account (a fresh package install), the daemon reports READY, says so, and waits for a reload.
    @Test func withNoAccountTheDaemonIdlesReady() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-idle")
        let config = directory.appendingPathComponent("kith.toml").path
        try "[archive]\npath = \"\(directory.path)/archive.sqlite\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let socketPath = directory.appendingPathComponent("notify.sock").path
        let notify = try NotifySocket(name: socketPath)
        let daemon = try BackgroundProcess([kithBinary, "daemon"], environment: ["KITH_CONFIG": config, "NOTIFY_SOCKET": socketPath, "PATH": "/usr/bin:/bin"],
                                           logFile: directory.appendingPathComponent("daemon.log").path)
        let ready = try #require(notify.receive(until: "READY=1", timeout: 20), "no READY=1; log: \(daemon.output)")
        #expect(ready.last?.contains("STATUS=no accounts configured") == true, "\(ready)")
        #expect(daemon.waitForExit(timeout: 2) == nil, "it does not exit")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0, "\(daemon.output)")
    }

    /// The daemon under a stand-in systemd: READY, STATUS, WATCHDOG, a reload that adds an account from a
    /// drop-in file, a reload with a broken config that is rejected, and SIGTERM with STOPPING.
    @Test func runsReloadsAndStopsLikeASystemdService() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kith").path
        try #require(FileManager.default.isExecutableFile(atPath: binary))
        let account = try TestAccount(messages: 60, seed: 81, extraAccountLines: "interval = \"1h\"")
        let socketPath = account.directory.appendingPathComponent("notify.sock").path
        let notify = try NotifySocket(name: socketPath)
        let daemon = try BackgroundProcess([binary, "daemon", "--log-level", "info"], environment: [
            "KITH_CONFIG": account.configPath, "NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "400000", "PATH": "/usr/bin:/bin",
        ], logFile: account.directory.appendingPathComponent("daemon.log").path)

        let started = try #require(notify.receive(until: "READY=1", timeout: 20), "no READY=1; log: \(daemon.output)")
        #expect(started.last!.contains("STATUS=1 accounts"))
        let afterHarvest = try #require(notify.receive(until: "next harvest", timeout: 30), "no STATUS after the first harvest; log: \(daemon.output)")
        #expect(afterHarvest.contains("WATCHDOG=1"), "keep-alives at half of WATCHDOG_USEC")
        let archive = try Archive(path: account.archivePath, create: false)
        #expect(try archive.contacts().count == account.mailbox.expectedContacts().count)

        // Adding a job is dropping in a file, then SIGHUP.
        let dropIns = account.directory.appendingPathComponent("accounts.d")
        try FileManager.default.createDirectory(at: dropIns, withIntermediateDirectories: true)
        let original = try String(contentsOfFile: account.configPath, encoding: .utf8)
        let accountBlock = String(original[original.range(of: "[[account]]")!.lowerBound...])
            .replacingOccurrences(of: "name = \"acme\"", with: "name = \"second\"")
        try accountBlock.write(to: dropIns.appendingPathComponent("second.toml"), atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let reload = try #require(notify.receive(until: "READY=1", timeout: 20), "no READY=1 after SIGHUP; log: \(daemon.output)")
        #expect(reload.contains { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try archive.accountSummaries().first(where: { $0.name == "second" })?.lastSuccessAt == nil { usleep(100_000) }
        #expect(try archive.accountSummaries().first { $0.name == "second" }?.lastSuccessAt != nil, "the added account was harvested; log: \(daemon.output)")

        // A broken config is rejected; the daemon keeps running with the old one.
        try "[[account]]\nname = 42\n".write(to: dropIns.appendingPathComponent("broken.toml"), atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(notify.receive(until: "READY=1", timeout: 20) != nil)
        #expect(daemon.waitForExit(timeout: 0.5) == nil, "the daemon must survive a broken config")
        #expect(daemon.output.contains("configuration rejected, keeping the previous one"))
        #expect(daemon.output.contains("broken.toml:2"))

        daemon.signal(SIGTERM)
        let stopping = notify.receive(until: "STOPPING=1", timeout: 10)
        #expect(stopping != nil, "no STOPPING=1; log: \(daemon.output)")
        #expect(daemon.waitForExit(timeout: 10) == 0, "the daemon stops within 10 s and exits 0; log: \(daemon.output)")
        #expect(!daemon.output.contains(account.password))
    }
}
