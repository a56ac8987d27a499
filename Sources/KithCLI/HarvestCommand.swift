import ArgumentParser
import KithArchive
import KithConfig
import KithHarvest

/// `kith harvest`: one pass over all (or one) accounts.
struct HarvestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harvest",
        abstract: "Fetch new message headers from every account and archive their correspondents.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Harvest only this account.")
    var account: String?

    @Option(help: "UIDs per UID FETCH command; each chunk commits on its own.")
    var chunkSize: UInt32 = 1000

    func run() throws {
        let config = try options.loadConfig()
        let logger = try options.makeLogger()
        var accounts = config.harvestedAccounts
        if let account {
            guard let chosen = config.account(named: account) else {
                printError("no account named \"\(account)\" in \(config.files.joined(separator: ", "))")
                throw ExitCode(2)
            }
            guard !chosen.archiveOnly else {
                printError("account \"\(account)\" has no url: it is known from imported mail only (kith import)")
                throw ExitCode(2)
            }
            accounts = [chosen]
        }
        let (lock, archive) = try options.openArchiveForWriting(config)
        defer { withExtendedLifetime(lock) {} }
        var harvester = Harvester(archive: archive, logger: logger)
        harvester.chunkSize = max(1, chunkSize)
        if Terminal.showsProgress {
            harvester.progress = { progress in Terminal.progress(progress.line) }
        }
        var failed = false
        for account in accounts {
            let report = harvester.harvest(account)
            Terminal.progress(nil)
            print(report.summary)
            if report.error != nil || !report.failingFolders.isEmpty { failed = true }
        }
        if failed { throw ExitCode(1) }
    }
}
