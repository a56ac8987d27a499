import Foundation
import TOMLKit

/// Turns parsed TOML into `Config` values, collecting every problem with its file and line.
///
/// Each table is a declarative `ConfigTable` (ConfigTables.swift) whose keys say what is allowed; this
/// type walks the file's structure, decodes each table, and checks what spans several keys.
struct ConfigDecoder {
    let environment: [String: String]
    var problems: [ConfigProblem] = []
    var accounts: [AccountConfig] = []
    private var archivePath: String?
    private var exportDirectory: String?
    var notify = NotifySettings()
    var digest: DigestSettings?
    var carddav: CardDAVSettings?

    private static let topLevelKeys: Set<String> = ["archive", "account", "notify", "digest", "carddav"]

    init(environment: [String: String]) {
        self.environment = environment
    }

    mutating func decodeMain(text: String, file: String) {
        guard let (table, lines) = parse(text: text, file: file) else { return }
        let top = TablePlace(file: file, lines: lines, path: "", keyPrefix: "")
        for key in table.keys.sorted() where !Self.topLevelKeys.contains(key) {
            problems.append(ConfigProblem(location: top.location(key), key: key, message: "unknown key"))
        }
        let base = (file as NSString).deletingLastPathComponent
        if let value = table["archive"] {
            if let archiveTable = value.table,
               let archive = decodeTable(ArchiveTable.self, from: archiveTable, at: TablePlace(file: file, lines: lines, path: "archive", keyPrefix: "archive.")) {
                archivePath = archive.path.flatMap { $0.isEmpty ? nil : $0 }
                exportDirectory = archive.exportDirectory.flatMap { $0.isEmpty ? nil : Self.absolute($0, base: base) }
            } else if value.table == nil {
                problems.append(ConfigProblem(location: top.location("archive"), key: "archive", message: "expected a table"))
            }
        }
        if let value = table["notify"] {
            if let notifyTable = value.table {
                decodeNotify(notifyTable, lines: lines, file: file)
            } else {
                problems.append(ConfigProblem(location: top.location("notify"), key: "notify", message: "expected a table"))
            }
        }
        if let value = table["digest"] {
            if let digestTable = value.table {
                digest = decodeTable(DigestTable.self, from: digestTable, at: TablePlace(file: file, lines: lines, path: "digest", keyPrefix: "digest."))?.settings
            } else {
                problems.append(ConfigProblem(location: top.location("digest"), key: "digest", message: "expected a table"))
            }
        }
        if let value = table["carddav"] {
            if let carddavTable = value.table {
                let place = TablePlace(file: file, lines: lines, path: "carddav", keyPrefix: "carddav.")
                if let decoded = decodeTable(CardDAVTable.self, from: carddavTable, at: place), let url = decoded.url,
                   let username = decoded.username, let source = decoded.passwordSources.first {
                    carddav = CardDAVSettings(url: url, username: username, password: Self.passwordSource(key: source.key, value: source.value, base: base),
                                              selection: decoded.selection, sync: decoded.sync ?? false,
                                              tlsCAFile: decoded.tlsCAFile.map { Self.absolute($0, base: base) })
                }
            } else {
                problems.append(ConfigProblem(location: top.location("carddav"), key: "carddav", message: "expected a table"))
            }
        }
        decodeAccounts(table, lines: lines, file: file)
    }

    /// A drop-in holds `[[account]]` blocks only.
    mutating func decodeDropIn(text: String, file: String) {
        guard let (table, lines) = parse(text: text, file: file) else { return }
        for key in table.keys.sorted() where key != "account" {
            problems.append(ConfigProblem(location: SourceLocation(file: file, line: lines.line(path: "", key: key)), key: key,
                                          message: "unknown key (a file in accounts.d holds [[account]] blocks only)"))
        }
        decodeAccounts(table, lines: lines, file: file)
    }

    mutating func validateAcrossFiles() {
        var seen: [String: SourceLocation] = [:]
        for account in accounts {
            if let first = seen[account.name] {
                problems.append(ConfigProblem(location: account.location, account: account.name, key: "name",
                                              message: "duplicate account name (first defined at \(first))"))
            } else {
                seen[account.name] = account.location
            }
        }
    }

    func archive(baseDirectory: String) -> ArchiveSettings {
        let path = archivePath.map { Self.absolute($0, base: baseDirectory) } ?? Self.defaultArchivePath(environment: environment)
        let exports = exportDirectory ?? ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("exports")
        return ArchiveSettings(path: path, exportDirectory: exports)
    }

    /// `$STATE_DIRECTORY/archive.sqlite` under systemd, else `$XDG_STATE_HOME/kith/archive.sqlite` (or `~/.local/state/...`).
    static func defaultArchivePath(environment: [String: String]) -> String {
        if let state = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return "\(state)/archive.sqlite" }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return "\(xdg)/kith/archive.sqlite" }
        return "\(environment["HOME"] ?? "/var/lib")/.local/state/kith/archive.sqlite"
    }

    static func absolute(_ path: String, base: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { return home + path.dropFirst() }
        return ((base.isEmpty ? "." : base) as NSString).appendingPathComponent(path)
    }

    /// Days since 1970-01-01 of a calendar date.
    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return Int((calendar.date(from: components)?.timeIntervalSince1970 ?? 0) / 86_400)
    }

    static func passwordSource(key: String, value: String, base: String) -> PasswordSource {
        switch key {
        case "password_file": .file(absolute(value, base: base))
        case "password_command": .command(value)
        case "password_env": .environment(value)
        default: .credential(value)
        }
    }

    // MARK: - Notifications

    private mutating func decodeNotify(_ table: TOMLTable, lines: SourceLines, file: String) {
        let place = TablePlace(file: file, lines: lines, path: "notify", keyPrefix: "notify.")
        guard let decoded = decodeTable(NotifyTable.self, from: table, at: place) else { return }
        notify.command = decoded.command
        notify.desktop = decoded.desktop ?? false
        if let value = table["smtp"] {
            if let smtpTable = value.table,
               let smtp = decodeTable(SMTPTable.self, from: smtpTable, at: TablePlace(file: file, lines: lines, path: "notify.smtp", keyPrefix: "notify.smtp.")),
               let url = smtp.url, let from = smtp.from, let to = smtp.to, !to.isEmpty {
                let password = smtp.passwordSources.first.map {
                    Self.passwordSource(key: $0.key, value: $0.value, base: (file as NSString).deletingLastPathComponent)
                }
                notify.smtp = SMTPSettings(url: url, from: from, to: to, username: smtp.username, password: password,
                                           allowPlaintext: smtp.allowPlaintext ?? false, tlsCAFile: smtp.tlsCAFile)
            } else if value.table == nil {
                problems.append(place.problem("smtp", "expected a table"))
            }
        }
        if let value = table["webhook"] {
            if let webhookTable = value.table {
                let webhook = decodeTable(WebhookTable.self, from: webhookTable, at: TablePlace(file: file, lines: lines, path: "notify.webhook", keyPrefix: "notify.webhook."))
                notify.webhook = webhook?.settings
            } else {
                problems.append(place.problem("webhook", "expected a table"))
            }
        }
    }

    // MARK: - Accounts

    private mutating func decodeAccounts(_ table: TOMLTable, lines: SourceLines, file: String) {
        guard let value = table["account"] else { return }
        let top = SourceLocation(file: file, line: lines.line(path: "", key: "account"))
        guard let array = value.array else {
            problems.append(ConfigProblem(location: top, key: "account", message: "expected [[account]] blocks"))
            return
        }
        for (index, element) in array.enumerated() {
            guard let block = element.table else {
                problems.append(ConfigProblem(location: top, key: "account", message: "expected a table"))
                continue
            }
            if let account = decodeAccount(block, index: index, lines: lines, file: file) { accounts.append(account) }
        }
    }

    private mutating func decodeAccount(_ block: TOMLTable, index: Int, lines: SourceLines, file: String) -> AccountConfig? {
        let startCount = problems.count
        let place = TablePlace(file: file, lines: lines, path: "account", accountIndex: index, keyPrefix: "",
                               account: block["name"]?.string ?? "#\(index + 1)")
        guard let table = decodeTable(AccountTable.self, from: block, at: place) else { return nil }
        var check = AccountCheck(table: table, place: place, base: (file as NSString).deletingLastPathComponent, writtenKeys: Set(block.keys))
        let account = check.build(folders: block["folders"], oauth2: block["oauth2"], decoder: &self)
        problems += check.problems
        return problems.count == startCount ? account : nil
    }

    // MARK: - Helpers

    private mutating func parse(text: String, file: String) -> (TOMLTable, SourceLines)? {
        do {
            return (try TOMLTable(string: text), SourceLines(text: text))
        } catch let error as TOMLParseError {
            problems.append(ConfigProblem(location: SourceLocation(file: file, line: error.source.begin.line), message: "TOML syntax: \(error.description)"))
        } catch {
            problems.append(ConfigProblem(location: SourceLocation(file: file, line: 0), message: "TOML syntax: \(error)"))
        }
        return nil
    }
}
