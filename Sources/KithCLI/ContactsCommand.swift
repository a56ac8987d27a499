import ArgumentParser
import Foundation
import KithArchive

/// `kith contacts`: the people in the archive, strongest relationships first.
struct ContactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts", abstract: "List archived people (linked addresses together), strongest relationship first.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only people with an address or name containing this text.")
    var search: String?

    @Option(help: "Only contacts seen in this account.")
    var account: String?

    @Option(help: "Only people seen on or after this day (YYYY-MM-DD).")
    var since: String?

    @Flag(help: "Include newsletters, notifications and other automated senders.")
    var includeAutomated = false

    enum Sort: String, ExpressibleByArgument, CaseIterable { case strength, messages, recent, name, sent, received }

    @Option(help: "Order: strength (docs/strength.md), messages, recent, name, sent or received.")
    var sort: Sort = .strength

    @Option(help: "Show at most this many.")
    var limit: Int?

    @Flag(help: "Print JSON (each person with its addresses and their own numbers) instead of a table.")
    var json = false

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        var people = try archive.people(ContactFilter(search: search, account: account, includeAutomated: includeAutomated),
                                        now: TestClock.nowSeconds())
        if let since {
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            guard since.count == 10, day.date(from: since) != nil else {
                printError("--since: expected a day as YYYY-MM-DD, got \"\(since)\"")
                throw ExitCode(2)
            }
            people = people.filter { ($0.lastSeen ?? "") >= since }
        }
        switch sort {
        case .strength: people.sort { ($0.strength, $0.messages, $1.email) > ($1.strength, $1.messages, $0.email) }
        case .messages: people.sort { ($0.messages, $1.email) > ($1.messages, $0.email) }
        case .sent: people.sort { ($0.sent, $0.messages, $1.email) > ($1.sent, $1.messages, $0.email) }
        case .received: people.sort { ($0.received, $0.messages, $1.email) > ($1.received, $1.messages, $0.email) }
        case .recent: people.sort { ($0.lastSeen ?? "", $1.email) > ($1.lastSeen ?? "", $0.email) }
        case .name: people.sort { ($0.name ?? $0.email).lowercased() < ($1.name ?? $1.email).lowercased() }
        }
        if let limit { people = Array(people.prefix(max(0, limit))) }
        if json {
            print(try ContactJSON.encode(people, sortedByEmail: false, linkedIn: try archive.linkedInByEmail()))
        } else {
            print(ContactTable.render(people, width: TerminalSize.columns()))
        }
    }
}

/// A plain table of people that fits `width` columns; a person with several addresses shows the busiest and "+N".
enum ContactTable {
    static func render(_ people: [PersonSummary], width: Int) -> String {
        let header = ["STRENGTH", "MSGS", "SENT", "RECV", "LAST SEEN", "EMAIL", "NAME"]
        var rows = people.map { person in
            [String(format: "%.1f", person.strength), String(person.messages), String(person.sent), String(person.received),
             String((person.lastSeen ?? "").prefix(10)),
             (person.addresses.first?.shown ?? person.email) + (person.addresses.count > 1 ? " +\(person.addresses.count - 1)" : ""),
             (person.name ?? "") + (person.automated ? " (automated)" : "")]
        }
        rows.insert(header, at: 0)
        var widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        // Shrink the name, then the address, to fit the terminal.
        let fixed = widths[0..<5].reduce(0, +) + 2 * (header.count - 1)
        let available = max(20, width - fixed)
        if widths[5] + 2 + widths[6] > available {
            widths[6] = max(4, available - widths[5] - 2)
            if widths[6] == 4 { widths[5] = max(10, available - 6) }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let cut = cell.count > widths[column] ? String(cell.prefix(max(1, widths[column] - 1))) + "…" : cell
                if column < 4 { return String(repeating: " ", count: widths[column] - cut.count) + cut }
                return column == row.count - 1 ? cut : cut + String(repeating: " ", count: widths[column] - cut.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n\(people.count) people"
    }
}

/// The terminal's width, or 120 when not a terminal.
enum TerminalSize {
    static func columns() -> Int {
        var size = winsize()
        if isatty(STDOUT_FILENO) != 0, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) { return columns }
        return 120
    }
}
