import ArgumentParser
import Foundation
import KithArchive

/// `kith backup DEST`: a consistent copy of the archive, even while the daemon writes.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the archive to DEST (SQLite online backup, 0600), then verify the copy.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The file to write; it must not exist.")
    var destination: String

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        do {
            try archive.backup(to: destination)
            let copy = try Archive(path: destination, create: false)
            let problems = try copy.verify()
            guard problems.isEmpty else {
                for problem in problems { printError("\(destination): \(problem)") }
                throw ExitCode(1)
            }
            print("backup written to \(destination): \(try copy.messageCount()) messages, \(try copy.contacts().count) contacts; verified")
        } catch let error as ArchiveError {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

/// `kith verify`: is the archive whole and consistent?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the archive: SQLite integrity and foreign keys, the schema version, and the rules between its rows.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let problems = try archive.verify()
        for problem in problems { printError("\(config.archive.path): \(problem)") }
        guard problems.isEmpty else { throw ExitCode(1) }
        print("\(config.archive.path): ok (schema \(try archive.appliedMigrations().last ?? "?"), \(try archive.messageCount()) messages)")
    }
}
