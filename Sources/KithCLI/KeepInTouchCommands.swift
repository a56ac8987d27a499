import ArgumentParser
import Foundation
import KithArchive
import KithDaemon
import KithMail

/// `kith fading`: strong relationships gone quiet for much longer than their rhythm.
struct FadingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fading",
        abstract: "List strong relationships gone quiet for much longer than their usual rhythm (docs/strength.md).")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Show at most this many.")
    var limit: Int = 20

    @Option(help: "Only mail of this account.")
    var account: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let people = try archive.fading(account: account, now: TestClock.nowSeconds(), limit: limit)
        if json {
            print(try prettyJSON(people.map(\.jsonObject)))
        } else {
            print(FadingTable.render(people))
        }
    }
}

/// The fading list as a plain table.
enum FadingTable {
    static func render(_ people: [FadingPerson]) -> String {
        guard !people.isEmpty else { return "no strong relationship is fading" }
        let header = ["WAS", "NOW", "LAST", "USUAL GAP", "OVERDUE", "EMAIL", "NAME"]
        var rows = people.map { person in
            [String(format: "%.1f", person.strength.past), String(format: "%.1f", person.strength.now), String(person.lastSeen.prefix(10)),
             String(format: "%.0f d", person.usualGapDays), String(format: "%.1fx", person.overdueFactor), person.shown, person.name ?? ""]
        }
        rows.insert(header, at: 0)
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// `kith ignore`: keep what was harvested, but leave addresses out of every list of people.
struct IgnoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ignore",
        abstract: "Leave an address, a domain or a pattern (team-*@acme.example) out of contacts, fading, digests, exports, CardDAV and the report.")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "List the rules instead.")
    var list = false

    @Argument(help: "An address, a domain (covers its subdomains) or a pattern with *.")
    var patterns: [String] = []

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        if list || patterns.isEmpty {
            let rules = try archive.ignoreRules()
            print(rules.isEmpty ? "no ignore rules" : rules.map(\.pattern).joined(separator: "\n"))
            return
        }
        for text in patterns {
            guard let rule = IgnoreRule(text) else {
                printError("\"\(text)\" is not an address, a domain or a pattern")
                throw ExitCode(2)
            }
            print(try archive.addIgnoreRule(rule) ? "ignoring \(rule.pattern)" : "already ignoring \(rule.pattern)")
        }
    }
}

/// `kith unignore`: take a rule back.
struct UnignoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unignore", abstract: "Remove a kith ignore rule.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The rule, as kith ignore --list shows it.")
    var patterns: [String]

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        for text in patterns {
            guard let rule = IgnoreRule(text), try archive.removeIgnoreRule(rule) else {
                printError("no ignore rule \"\(text)\" (see kith ignore --list)")
                throw ExitCode(1)
            }
            print("no longer ignoring \(rule.pattern)")
        }
    }
}

/// `kith forget`: erase a person from the archive for good.
struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Erase a person (all their linked addresses) from the archive for good; later harvests and imports leave them out.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "An address of the person, or their name.")
    var who: String

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        let emails = try addressesToForget(archive)
        if !yes {
            guard isatty(STDIN_FILENO) != 0 else {
                printError("forget erases \(emails.joined(separator: ", ")) for good; run it again with --yes to confirm")
                throw ExitCode(1)
            }
            print("Erase \(emails.joined(separator: ", ")) from the archive for good? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("nothing erased")
                return
            }
        }
        let result = try archive.forget(emails)
        print("forgot \(emails.joined(separator: ", ")): \(result.addresses) addresses, \(result.messageRoles) message roles, \(result.linkedInRows) LinkedIn rows erased")
    }

    /// The person's addresses: every address linked to the one given, or those of the one person with this name.
    private func addressesToForget(_ archive: Archive) throws -> [String] {
        let everyone = try archive.people(ContactFilter(includeIgnored: true), now: TestClock.nowSeconds())
        if who.contains("@") {
            guard let address = AddressListParser.parse(Array(who.utf8)).first else {
                printError("\"\(who)\" is not an e-mail address")
                throw ExitCode(2)
            }
            let linked = try archive.links().first { $0.contains(address.email) } ?? []
            let person = everyone.first { $0.addresses.contains { $0.email == address.email } }
            let emails = Set([address.email] + linked + (person?.addresses.map(\.email) ?? []))
            return emails.sorted()
        }
        let needle = who.lowercased()
        let named = everyone.filter { person in
            person.addresses.contains { $0.name?.lowercased() == needle }
        }
        guard !named.isEmpty else {
            printError("nobody in the archive is called \"\(who)\"")
            throw ExitCode(1)
        }
        guard named.count == 1 else {
            printError("\(named.count) people are called \"\(who)\": \(named.map(\.email).joined(separator: ", ")); name one by address")
            throw ExitCode(1)
        }
        let emails = named[0].addresses.map(\.email)
        let linked = try archive.links().filter { !Set($0).isDisjoint(with: emails) }.flatMap { $0 }
        return Set(emails + linked).sorted()
    }
}

/// `kith sync-carddav`: the people who matter, into the `[carddav]` address book.
struct SyncCardDAVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-carddav",
        abstract: "Put the people who matter into the [carddav] address book (vCard 4.0; only cards kith created are ever changed).")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let config = try options.loadConfig()
        guard let settings = config.carddav else {
            printError("\(config.files.first ?? "the configuration") has no [carddav] table (url, username, a password source; see the README)")
            throw ExitCode(2)
        }
        let archive = try options.openArchive(config)
        let outcome: CardDAVSync.Outcome
        do {
            outcome = try CardDAVSync(settings: settings, archive: archive).run(now: TestClock.nowSeconds())
        } catch {
            printError("carddav: \(error)")
            throw ExitCode(1)
        }
        print("carddav: \(outcome.summary)")
        for conflict in outcome.conflicts { printError("carddav: not overwritten, edited on the server since kith wrote it: \(conflict)") }
        for failure in outcome.failures { printError("carddav: \(failure)") }
        if !outcome.failures.isEmpty { throw ExitCode(1) }
    }
}
