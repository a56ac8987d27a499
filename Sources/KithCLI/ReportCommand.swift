import ArgumentParser
import Foundation
import KithArchive
import KithMail

/// `kith report`: a single self-contained HTML page about the network.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Write a self-contained HTML report of the archive.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "The HTML file to write.")
    var output: String = "report.html"

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let today = Int(TestClock.now().timeIntervalSince1970 / 86_400)
        let summaries = Dictionary(uniqueKeysWithValues: try archive.accountSummaries().map { ($0.name, $0) })
        let accounts = try config.accounts.map { account -> ReportPage.AccountRow in
            let summary = summaries[account.name]
            var state = summary?.failingSince != nil ? "failing" : "ok"
            if summary?.closedAt != nil { state = "closed" } else if let plan = account.deprovisioning {
                let left = plan.closesOnDay - today
                state = left < 0 ? "closed" : "closing in \(left) days"
            }
            return ReportPage.AccountRow(
                name: account.name, state: state, closesOn: account.deprovisioning?.closesOnText,
                daysLeft: account.deprovisioning.map { $0.closesOnDay - today }, messages: summary?.messages ?? 0,
                contacts: try archive.accountReach(account: account.name).contacts,
                export: try archive.eventDetail(account: account.name, event: "final-export"))
        }
        let page = ReportPage(generatedAt: MailDate.iso8601(Int64(Date().timeIntervalSince1970)), contacts: try archive.contacts(),
                              people: try archive.people(now: TestClock.nowSeconds()),
                              starts: try archive.relationshipStarts(), accounts: accounts, automated: try archive.automatedShare(),
                              linkedIn: try archive.linkedInByEmail(), fading: try archive.fading(now: TestClock.nowSeconds(), limit: 10),
                              strongTies: try archive.strongTiesPerYear())
        do {
            try PrivateFile.write(Array(page.html().utf8), to: output)
        } catch {
            printError("cannot write \(error)")
            throw ExitCode(2)
        }
        print("wrote \(output)")
    }
}
