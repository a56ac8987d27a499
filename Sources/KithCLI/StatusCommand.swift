import ArgumentParser
import Foundation
import KithArchive
import KithConfig
import KithHarvest
import KithMail

/// `kith status`: one line per configured account.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show each account's harvest state.")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let summaries = Dictionary(uniqueKeysWithValues: try archive.accountSummaries().map { ($0.name, $0) })
        let today = Int(TestClock.now().timeIntervalSince1970 / 86_400)
        var rows: [[String: Any]] = []
        let colour = Terminal.wantsColour
        // Accounts known from imported mail only (not in the config) are shown too.
        var accounts = config.accounts
        for name in summaries.keys.sorted() where config.account(named: name) == nil {
            var imported = AccountConfig(name: name, url: "", username: "", password: .environment(""), addresses: [])
            imported.archiveOnly = true
            accounts.append(imported)
        }
        for account in accounts {
            let summary = summaries[account.name]
            var state = "ok"
            if account.archiveOnly {
                state = "imported"
            } else if summary?.closedAt != nil {
                state = "closed"
            } else if let since = summary?.failingSince {
                switch summary?.lastError.flatMap(HarvestError.cause(ofStoredError:)) {
                case .accountDisabled?: state = "disabled: the identity provider says the account is disabled (since \(MailDate.iso8601(since)))"
                case .signInNeeded?: state = "sign-in needed: run kith login --account \(account.name)"
                case nil: state = "failing since \(MailDate.iso8601(since))"
                }
            } else if let plan = account.deprovisioning {
                let left = plan.closesOnDay - today
                state = left < 0 ? "closed" : "closing in \(left) days (\(plan.closesOnText))"
            }
            let failingFolders = (try? archive.failingFolders(account: account.name)) ?? []
            if state == "ok" || state.hasPrefix("closing"), !failingFolders.isEmpty {
                let failures = failingFolders.map { FolderFailure(folder: $0.folder, reason: $0.reason) }
                state = "partial (\(FolderFailure.summary(failures)))" + (state == "ok" ? "" : ", \(state)")
            }
            let last = summary?.lastSuccessAt.map(MailDate.iso8601) ?? "never"
            let contacts = (try? archive.accountReach(account: account.name).contacts) ?? 0
            let missing = (try? archive.missingMessages(account: account.name)) ?? 0
            var row: [String: Any] = [
                "account": account.name, "state": state, "messages": summary?.messages ?? 0, "contacts": contacts,
                "last_harvest": summary?.lastSuccessAt.map(MailDate.iso8601) ?? NSNull(), "last_error": summary?.lastError ?? NSNull(),
                "failing_folders": failingFolders.map { ["folder": $0.folder, "reason": $0.reason] },
                "missing_messages": missing,
            ]
            if let plan = account.deprovisioning {
                row["closes_on"] = plan.closesOnText
                row["days_left"] = plan.closesOnDay - today
            }
            rows.append(row)
            let shownState = colour ? Terminal.paint(SafeText.line(state)) : SafeText.line(state)
            var line = "\(account.name): \(shownState); \(summary?.messages ?? 0) messages, \(contacts) contacts, last harvest \(last)"
            if missing > 0 { line += "; \(missing) messages the server listed but never sent" }
            if let error = summary?.lastError { line += "; last error: \(SafeText.line(error))" }
            if !json { Swift.print(line) }
        }
        let contacts = try archive.contacts().count
        let messages = try archive.messageCount()
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: config.archive.path))?[.size] as? Int) ?? 0
        if json {
            let object: [String: Any] = ["accounts": rows, "archive": config.archive.path, "archive_bytes": bytes, "messages": messages, "contacts": contacts]
            print(try prettyJSON(object))
        } else {
            print("archive \(config.archive.path) (\(bytes / 1024) KiB): \(messages) messages, \(contacts) contacts")
        }
    }
}
