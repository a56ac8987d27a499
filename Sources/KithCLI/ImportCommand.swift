import ArgumentParser
import Foundation
import KithArchive
import KithConfig
import KithHarvest

/// `kith import`: mail kept from accounts already closed, into the archive.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import mail files (mbox, Google Takeout, Apple Mail, Maildir, .eml, a final export, Outlook PST) into an account.",
        discussion: """
        The account may be one in the config, or a name known only to the archive (a job whose server is gone).
        --address gives your own addresses in that job: they decide what was sent and what received, and are
        stored with the account. Junk, Trash and Drafts (by name, in 18 languages; Takeout's labels) do not
        count. Importing mail a harvest or an earlier import already archived adds nothing; a stopped import,
        run again, goes on where it stopped. PST files need readpst (apt install pst-utils).
        """)

    @OptionGroup var options: GlobalOptions

    @Option(help: "The account the mail belongs to.")
    var account: String

    @Option(help: "Your address in that account (repeat for several).")
    var address: [String] = []

    @Argument(help: "Files or directories to import.")
    var paths: [String]

    func run() throws {
        let config = try options.loadConfig()
        let logger = try options.makeLogger()
        let (lock, archive) = try options.openArchiveForWriting(config)
        defer { withExtendedLifetime(lock) {} }
        var addresses = config.account(named: account)?.addresses ?? []
        for stored in try archive.storedAddresses(account: account) where !addresses.contains(stored) { addresses.append(stored) }
        for given in address.map({ $0.lowercased().trimmingCharacters(in: .whitespaces) }) {
            guard given.contains("@") else {
                printError("--address \(given): not an e-mail address")
                throw ExitCode(2)
            }
            if !addresses.contains(given) { addresses.append(given) }
        }
        guard !addresses.isEmpty else {
            printError("account \"\(account)\": which addresses were yours there? Give them with --address (they decide sent and received)")
            throw ExitCode(2)
        }
        var importer = Importer(archive: archive, logger: logger)
        if Terminal.showsProgress { importer.progress = { Terminal.progress($0) } }
        do {
            let report = try importer.run(paths: paths, account: account, ownerAddresses: addresses)
            Terminal.progress(nil)
            print(report.summary)
        } catch let error as ImportError {
            Terminal.progress(nil)
            printError("account \"\(account)\": \(error)")
            throw ExitCode(1)
        }
    }
}
