import ArgumentParser
import KithArchive

/// `kith show`: one person, in detail.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one contact: names, accounts, activity per year, recent dates.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "An address, or part of an address or name.")
    var who: String

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let matches = try archive.findAddresses(who)
        let email = matches.first { $0 == who.lowercased() } ?? matches.first
        guard let email, let detail = try archive.contactDetail(email: email) else {
            printError("no contact matches \"\(who)\"")
            throw ExitCode(1)
        }
        let contact = detail.summary
        print("\(contact.name ?? contact.shown) <\(contact.shown)>\(contact.automated ? "  (automated)" : "")")
        print("  messages: \(contact.messages) (\(contact.sent) sent to, \(contact.received) received from)")
        print("  first: \(contact.firstSeen ?? "-")   last: \(contact.lastSeen ?? "-")")
        if let profile = try archive.linkedInByEmail()[contact.email] {
            let role = [profile.position, profile.company].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: " at ")
            print("  LinkedIn: \(role.isEmpty ? profile.fullName : role)\(profile.url.map { ", \($0)" } ?? "")"
                  + (profile.connectedOn.map { ", connected \($0)" } ?? ""))
        }
        if let person = try archive.people(ContactFilter(search: email), now: TestClock.nowSeconds()).first(where: { $0.addresses.contains { $0.email == email } }) {
            print("  strength: \(String(format: "%.1f", person.strength))")
            if person.addresses.count > 1 {
                print("  same person (\(person.messages) messages in all): " + person.addresses.filter { $0.email != email }
                    .map { "\($0.email) (\($0.messages))" }.joined(separator: ", "))
            }
        }
        if !detail.names.isEmpty {
            print("  names: " + detail.names.map { "\($0.name) (\($0.messages))" }.joined(separator: ", "))
        }
        for account in detail.perAccount { print("  account \(account.account): \(account.messages) messages") }
        if let peak = detail.perYear.map(\.messages).max(), peak > 0 {
            let bars = Array("▁▂▃▄▅▆▇█")
            let line = detail.perYear.map { String(bars[min(bars.count - 1, $0.messages * (bars.count - 1) / peak)]) }.joined()
            print("  per year \(detail.perYear.first!.year)–\(detail.perYear.last!.year): \(line)  " + detail.perYear.map { "\($0.year):\($0.messages)" }.joined(separator: " "))
        }
        if !detail.recentDates.isEmpty { print("  recent: " + detail.recentDates.prefix(5).joined(separator: ", ")) }
        if matches.count > 1 { print("  (\(matches.count - 1) more match \"\(who)\": \(matches.filter { $0 != email }.prefix(5).joined(separator: ", ")))") }
    }
}
