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
        let today = Int(TestClock.now().timeIntervalSince1970 / 86_400)
        for account in config.accounts {
            let summary = summaries[account.name]
            var state = "ok"
            if summary?.closedAt != nil {
                state = "closed"
            } else if let since = summary?.failingSince {
                state = "failing since \(MailDate.iso8601(since))"
            } else if let plan = account.deprovisioning {
                let left = plan.closesOnDay - today
                state = left < 0 ? "closed" : "closing in \(left) days (\(plan.closesOnText))"
            }
            let last = summary?.lastSuccessAt.map(MailDate.iso8601) ?? "never"
            let contacts = (try? archive.accountReach(account: account.name).contacts) ?? 0
            var line = "\(account.name): \(state); \(summary?.messages ?? 0) messages, \(contacts) contacts, last harvest \(last)"
            if let error = summary?.lastError { line += "; last error: \(error)" }
            print(line)
        }
        let contacts = try archive.contacts()
        print("archive \(config.archive.path): \(try archive.messageCount()) messages, \(contacts.count) contacts")
    }
}
