import ArgumentParser
import Foundation
import KithHarvest
import KithMail

/// Exit codes of `final-export` and `verify-export`, documented in `--help` and the README.
enum ExportExit {
    /// The export finished but does not hold everything (a folder not exported, counts short, or not verified).
    static let incomplete: Int32 = 3
    static let discussion = """
        Exit status: 0 complete (every readable folder exported and read back against manifest.json); \
        3 incomplete (manifest.json names each folder not exported or short, with the reason); \
        1 stopped before the end (run again to resume) or, for verify-export, a file differs from the manifest.
        """
}

/// `kith final-export`: everything of one account on disk now (the daemon also runs it by itself before closing).
struct FinalExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "final-export",
        abstract: "Export all mail (mboxrd per folder) and contacts (vCard, CSV) of an account, with a manifest, and verify it.",
        discussion: ExportExit.discussion)

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
            print(SafeText.line("\(chosen.name): \(manifest.summary) in \(directory)"))
            if !manifest.complete { throw ExitCode(ExportExit.incomplete) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("account \"\(chosen.name)\": final export stopped (run again to resume): \(error)")
            throw ExitCode(1)
        }
    }
}

/// `kith verify-export DIR`: reads an export back and checks it against its manifest.
struct VerifyExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Check a final export's files against its manifest.json: message counts, sizes and SHA-256.",
        discussion: ExportExit.discussion)

    @Argument(help: "The export directory (holding manifest.json).")
    var directory: String

    func run() throws {
        let manifest: ExportManifest
        do {
            manifest = try ExportManifest.load(directory: directory)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let (checked, problems) = ExportVerifier.verify(manifest, in: directory)
        for folder in checked.folders {
            let state = folder.complete ? "ok" : folder.reason.map { "NOT EXPORTED: \($0)" }
                ?? (folder.verified ? "INCOMPLETE: \(folder.exportedCount) of \(folder.serverCount) messages" : "DOES NOT MATCH")
            print(SafeText.line("\(folder.name): \(folder.exportedCount) messages, \(folder.file ?? "no file"): \(state)"))
        }
        for problem in problems { printError(problem.description) }
        print(SafeText.line("\(checked.account): \(checked.summary)"))
        if !problems.isEmpty { throw ExitCode(1) }
        if !checked.complete { throw ExitCode(ExportExit.incomplete) }
    }
}
