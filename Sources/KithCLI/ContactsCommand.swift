import ArgumentParser
import Foundation
import KithArchive

/// `kith contacts`: the archive's contacts, most messages first.
struct ContactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "contacts", abstract: "List archived contacts.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only contacts whose address or name contains this text.")
    var search: String?

    @Option(help: "Only contacts seen in this account.")
    var account: String?

    @Option(help: "Only contacts seen on or after this day (YYYY-MM-DD).")
    var since: String?

    @Flag(help: "Include newsletters, notifications and other automated senders.")
    var includeAutomated = false

    enum Sort: String, ExpressibleByArgument, CaseIterable { case messages, recent, name, sent, received }

    @Option(help: "Order: messages, recent, name, sent or received.")
    var sort: Sort = .messages

    @Option(help: "Show at most this many.")
    var limit: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let config = try options.loadConfig()
        let archive = try options.openArchive(config)
        var contacts = try archive.contacts(ContactFilter(search: search, account: account, includeAutomated: includeAutomated))
        if let since {
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            guard since.count == 10, day.date(from: since) != nil else {
                printError("--since: expected a day as YYYY-MM-DD, got \"\(since)\"")
                throw ExitCode(2)
            }
            contacts = contacts.filter { ($0.lastSeen ?? "") >= since }
        }
        switch sort {
        case .messages: contacts.sort { ($0.messages, $1.email) > ($1.messages, $0.email) }
        case .sent: contacts.sort { ($0.sent, $0.messages, $1.email) > ($1.sent, $1.messages, $0.email) }
        case .received: contacts.sort { ($0.received, $0.messages, $1.email) > ($1.received, $1.messages, $0.email) }
        case .recent: contacts.sort { ($0.lastSeen ?? "", $1.email) > ($1.lastSeen ?? "", $0.email) }
        case .name: contacts.sort { ($0.name ?? $0.email).lowercased() < ($1.name ?? $1.email).lowercased() }
        }
        if let limit { contacts = Array(contacts.prefix(max(0, limit))) }
        if json {
            print(try ContactJSON.encode(contacts, sortedByEmail: false))
        } else {
            print(ContactTable.render(contacts, width: TerminalSize.columns()))
        }
    }
}

/// A plain table of contacts that fits `width` columns.
enum ContactTable {
    static func render(_ contacts: [ContactSummary], width: Int) -> String {
        let header = ["MSGS", "SENT", "RECV", "LAST SEEN", "EMAIL", "NAME"]
        var rows = contacts.map { contact in
            [String(contact.messages), String(contact.sent), String(contact.received),
             String((contact.lastSeen ?? "").prefix(10)), contact.email,
             (contact.name ?? "") + (contact.automated ? " (automated)" : "")]
        }
        rows.insert(header, at: 0)
        var widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        // Shrink the name, then the address, to fit the terminal.
        let fixed = widths[0..<4].reduce(0, +) + 2 * (header.count - 1)
        let available = max(20, width - fixed)
        if widths[4] + 2 + widths[5] > available {
            widths[5] = max(4, available - widths[4] - 2)
            if widths[5] == 4 { widths[4] = max(10, available - 6) }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let cut = cell.count > widths[column] ? String(cell.prefix(max(1, widths[column] - 1))) + "…" : cell
                if column < 3 { return String(repeating: " ", count: widths[column] - cut.count) + cut }
                return column == row.count - 1 ? cut : cut + String(repeating: " ", count: widths[column] - cut.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n\(contacts.count) contacts"
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
