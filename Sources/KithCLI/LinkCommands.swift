import ArgumentParser
import Foundation
import KithArchive
import KithMail

/// An address as the archive spells it (lowercased, IDN in Unicode), or exit 2 naming the argument.
private func archivedSpelling(_ text: String) throws -> String {
    guard let address = AddressListParser.parse(Array(text.utf8)).first, AddressListParser.parse(Array(text.utf8)).count == 1 else {
        printError("\"\(text)\" is not one e-mail address")
        throw ExitCode(2)
    }
    return address.email
}

/// `kith link`: declare addresses to be one person.
struct LinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Declare that addresses belong to one person (kept in the archive; undo with unlink).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "Two or more addresses of the same person.")
    var addresses: [String]

    func run() throws {
        let emails = try addresses.map(archivedSpelling)
        guard Set(emails).count >= 2 else {
            printError("link needs at least two different addresses")
            throw ExitCode(2)
        }
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let known = Set(try archive.contacts().map(\.email))
        for email in emails where !known.contains(email) {
            printError("note: \(email) is not in the archive yet; the link applies once mail with it is harvested")
        }
        try archive.link(emails)
        let person = try archive.links().first { $0.contains(emails[0]) } ?? emails
        print("one person: " + person.joined(separator: ", "))
    }
}

/// `kith unlink`: take an address out of its person.
struct UnlinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlink", abstract: "Take an address out of the person it was linked to.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The address to unlink.")
    var address: String

    func run() throws {
        let email = try archivedSpelling(address)
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        guard try archive.unlink(email) else {
            printError("\(email) is not linked to anyone")
            throw ExitCode(1)
        }
        print("unlinked \(email)")
    }
}

/// `kith suggest-links`: likely pairs of addresses of one person, with the evidence; never merges.
struct SuggestLinksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest-links", abstract: "List addresses that are probably the same person (same full name, different domains).")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let suggestions = try archive.suggestLinks()
        if json {
            let objects: [[String: Any]] = suggestions.map { suggestion in
                ["name": suggestion.name, "addresses": [suggestion.first, suggestion.second].map(Self.evidence)]
            }
            print(try prettyJSON(objects))
            return
        }
        for suggestion in suggestions {
            print("\(suggestion.first.name ?? suggestion.name):")
            for contact in [suggestion.first, suggestion.second] {
                print("  \(contact.email)  \(Self.summary(contact))")
            }
            print("  kith link \(suggestion.first.email) \(suggestion.second.email)")
        }
        print("\(suggestions.count) suggestions")
    }

    static func summary(_ contact: ContactSummary) -> String {
        let span = "\((contact.firstSeen ?? "?").prefix(10)) to \((contact.lastSeen ?? "?").prefix(10))"
        return "\"\(contact.name ?? "")\", \(contact.messages) messages, \(span), accounts: \(contact.accounts.joined(separator: ", "))"
    }

    static func evidence(_ contact: ContactSummary) -> [String: Any] {
        ["email": contact.email, "name": contact.name ?? NSNull(), "messages": contact.messages, "accounts": contact.accounts,
         "first_seen": contact.firstSeen ?? NSNull(), "last_seen": contact.lastSeen ?? NSNull()]
    }
}
