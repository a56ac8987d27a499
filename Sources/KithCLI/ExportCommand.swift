import ArgumentParser
import Foundation
import KithArchive

/// `kith export`: every person, with all their addresses, for other tools.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export all contacts.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv, vcard }

    @OptionGroup var options: GlobalOptions

    @Option(help: "Output format.")
    var format: Format = .json

    @Option(help: "Write to this file instead of standard output.")
    var output: String?

    @Option(help: "Only contacts seen in this account.")
    var account: String?

    @Flag(help: "Include automated senders in CSV and vCard (JSON always holds every contact, with its automated flag).")
    var includeAutomated = false

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let everyone = format == .json || includeAutomated
        let people = try archive.people(ContactFilter(account: account, includeAutomated: everyone), now: TestClock.nowSeconds())
        let text: String
        switch format {
        case .json: text = try ContactJSON.encode(people, linkedIn: try archive.linkedInByEmail()) + "\n"
        case .csv: text = ContactFiles.googleCSV(people)
        case .vcard: text = ContactFiles.vCard(people, linkedIn: try archive.linkedInByEmail())
        }
        if let output {
            do {
                try PrivateFile.write(Array(text.utf8), to: output)
            } catch {
                printError("cannot write \(error)")
                throw ExitCode(2)
            }
        } else {
            print(text, terminator: "")
        }
    }
}

/// The JSON form of people: one array, `null` for missing values; the export sorts it by first address.
///
/// Each person carries its totals (under the keys a single address has), `emails`, its `strength`, and
/// `addresses` with every address's own numbers.
enum ContactJSON {
    /// `linkedIn` (by e-mail) adds a `linkedin` object (company, position, url, connected_on) to people in LinkedIn's export.
    static func encode(_ people: [PersonSummary], sortedByEmail: Bool = true, linkedIn: [String: LinkedInConnection] = [:]) throws -> String {
        let ordered = sortedByEmail ? people.sorted { $0.email < $1.email } : people
        func numbers(_ name: String?, _ accounts: [String], _ sent: Int, _ received: Int, _ messages: Int,
                     _ first: String?, _ last: String?, _ automated: Bool) -> [String: Any] {
            ["name": name ?? NSNull(), "accounts": accounts, "sent": sent, "received": received, "messages": messages,
             "first_seen": first ?? NSNull(), "last_seen": last ?? NSNull(), "automated": automated]
        }
        let objects: [[String: Any]] = ordered.map { person in
            var object = numbers(person.name, person.accounts, person.sent, person.received, person.messages,
                                 person.firstSeen, person.lastSeen, person.automated)
            object["email"] = person.email
            object["spelling"] = person.addresses.first?.spelling ?? NSNull()
            object["emails"] = person.addresses.map(\.email)
            object["strength"] = person.strength
            if let profile = person.addresses.lazy.compactMap({ linkedIn[$0.email] }).first {
                object["linkedin"] = ["company": profile.company ?? NSNull(), "position": profile.position ?? NSNull(),
                                      "url": profile.url ?? NSNull(), "connected_on": profile.connectedOn ?? NSNull()] as [String: Any]
            }
            object["addresses"] = person.addresses.map { address in
                var entry = numbers(address.name, address.accounts, address.sent, address.received, address.messages,
                                    address.firstSeen, address.lastSeen, address.automated)
                entry["email"] = address.email
                entry["spelling"] = address.spelling ?? NSNull()
                return entry
            }
            return object
        }
        return try prettyJSON(objects)
    }
}
