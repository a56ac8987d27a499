import ArgumentParser
import Foundation
import KithArchive
import KithMail

/// `kith import-linkedin Connections.csv`: LinkedIn's connections, joined to people by e-mail.
struct ImportLinkedInCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-linkedin",
        abstract: "Import LinkedIn's Connections.csv: company, position and profile for the people you know by e-mail.",
        discussion: """
        Connections are joined to people by e-mail only. A connection without one (LinkedIn often leaves it out)
        whose full name matches a contact is suggested, never merged. People known only from LinkedIn are kept
        but are not correspondents: they are in no contact list. Importing again replaces the earlier import.
        """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "LinkedIn's Connections.csv (from Get a copy of your data).")
    var file: String

    func run() throws {
        let config = try options.loadConfig()
        guard let data = FileManager.default.contents(atPath: file) else {
            printError("\(file): cannot be read")
            throw ExitCode(1)
        }
        let rows: [LinkedInCSV.Row]
        do {
            rows = try LinkedInCSV.parse(String(decoding: data, as: UTF8.self))
        } catch {
            printError("\(file): \(error)")
            throw ExitCode(1)
        }
        let (lock, archive) = try options.openArchiveForWriting(config)
        defer { withExtendedLifetime(lock) {} }
        let connections = rows.map {
            LinkedInConnection(firstName: $0.firstName, lastName: $0.lastName, url: $0.url.isEmpty ? nil : $0.url,
                               email: $0.email.isEmpty ? nil : $0.email, company: $0.company.isEmpty ? nil : $0.company,
                               position: $0.position.isEmpty ? nil : $0.position, connectedOn: $0.connectedOn)
        }
        let added = try archive.storeLinkedIn(connections)
        let contacts = try archive.contacts()
        let known = Set(contacts.map(\.email))
        var byName: [String: [String]] = [:]
        for contact in contacts { if let name = contact.name?.lowercased() { byName[name, default: []].append(contact.email) } }
        var joined = 0
        var suggestions: [String] = []
        for connection in connections {
            if let email = connection.email, known.contains(email) {
                joined += 1
            } else if let candidates = byName[connection.fullName.lowercased()], !candidates.isEmpty {
                suggestions.append("\(connection.fullName)\(connection.company.map { " (\($0))" } ?? "") may be \(candidates.joined(separator: " or "))")
            }
        }
        print("\(connections.count) connections (\(added) new): \(joined) joined to contacts by e-mail, \(suggestions.count) suggested by name, "
              + "\(connections.count - joined - suggestions.count) known only from LinkedIn")
        for suggestion in suggestions { print("  suggestion: \(suggestion) — same name, not merged; add the e-mail in LinkedIn or ignore") }
    }
}
