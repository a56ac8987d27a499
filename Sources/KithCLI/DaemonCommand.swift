import ArgumentParser
import KithArchive
import KithDaemon
import Logging
import ServiceLifecycle

/// `kith daemon`: run under systemd (Type=notify) or in a terminal.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Harvest every account on its schedule until stopped (SIGTERM); SIGHUP reloads the configuration.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let config = try options.loadConfig()
        let logger = try options.makeLogger()
        let (lock, archive) = try options.openArchiveForWriting(config)
        let service = DaemonService(configPath: options.configPath, config: config, archive: archive, logger: logger, now: TestClock.now)
        let group = ServiceGroup(configuration: .init(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        withExtendedLifetime(lock) {}
    }
}
