import ArgumentParser
import Foundation
import KithArchive

/// `kith export`: every contact, for other tools.
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
        let contacts = try archive.contacts(ContactFilter(account: account, includeAutomated: everyone))
        let text: String
        switch format {
        case .json: text = try ContactJSON.encode(contacts) + "\n"
        case .csv: text = ContactFiles.googleCSV(contacts)
        case .vcard: text = ContactFiles.vCard(contacts)
        }
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                printError("cannot write \(output)")
                throw ExitCode(2)
            }
        } else {
            print(text, terminator: "")
        }
    }
}

/// The JSON form of contacts: one array, `null` for missing values; the export sorts it by email.
enum ContactJSON {
    static func encode(_ contacts: [ContactSummary], sortedByEmail: Bool = true) throws -> String {
        let ordered = sortedByEmail ? contacts.sorted { $0.email < $1.email } : contacts
        let objects: [[String: Any]] = ordered.map { contact in
            [
                "email": contact.email, "name": contact.name ?? NSNull(), "accounts": contact.accounts,
                "sent": contact.sent, "received": contact.received, "messages": contact.messages,
                "first_seen": contact.firstSeen ?? NSNull(), "last_seen": contact.lastSeen ?? NSNull(),
                "automated": contact.automated,
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
