import ArgumentParser
import Foundation
import KithArchive
import KithMail

/// `kith status`: one line per configured account.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show each account's harvest state.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let summaries = Dictionary(uniqueKeysWithValues: try archive.accountSummaries().map { ($0.name, $0) })
        for account in config.accounts {
            guard let summary = summaries[account.name] else {
                print("\(account.name): never harvested")
                continue
            }
            let last = summary.lastSuccessAt.map(MailDate.iso8601) ?? "never"
            var line = "\(account.name): \(summary.messages) messages in \(summary.folders) folders, last harvest \(last)"
            if let error = summary.lastError { line += ", FAILING: \(error)" }
            print(line)
        }
        let contacts = try archive.contacts()
        print("archive \(config.archive.path): \(try archive.messageCount()) messages, \(contacts.count) contacts")
    }
}
