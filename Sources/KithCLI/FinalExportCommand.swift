import ArgumentParser
import Foundation
import KithHarvest
import KithMail

/// `kith final-export`: everything of one account on disk now (the daemon also runs it by itself before closing).
struct FinalExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "final-export",
        abstract: "Export all mail (mboxrd per folder) and contacts (vCard, CSV) of an account, with a manifest.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The account to export.")
    var account: String

    @Option(help: "Directory to write (default: <export_dir>/<account>/<YYYY-MM-DD>). An interrupted export resumes here.")
    var output: String?

    func run() throws {
        let config = try options.loadConfig()
        guard let chosen = config.account(named: account) else {
            printError("no account named \"\(account)\" in \(config.files.joined(separator: ", "))")
            throw ExitCode(2)
        }
        let (lock, archive) = try options.openArchiveForWriting(config)
        defer { withExtendedLifetime(lock) {} }
        let day = String(MailDate.iso8601(Int64(TestClock.now().timeIntervalSince1970)).prefix(10))
        let directory = output ?? "\(config.archive.exportDirectory)/\(chosen.name)/\(day)"
        do {
            let manifest = try FinalExporter(archive: archive, logger: try options.makeLogger()).export(chosen, to: directory)
            print("\(chosen.name): \(manifest.summary) in \(directory)")
            if !manifest.complete { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("account \"\(chosen.name)\": final export stopped (run again to resume): \(error)")
            throw ExitCode(1)
        }
    }
}
