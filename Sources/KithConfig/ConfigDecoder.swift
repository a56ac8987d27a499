import Foundation
import TOMLKit

/// Turns parsed TOML tables into `Config` values, collecting every problem with its file and line.
struct ConfigDecoder {
    let environment: [String: String]
    var problems: [ConfigProblem] = []
    var accounts: [AccountConfig] = []
    private var archivePath: (value: String, location: SourceLocation)?
    private var exportDirectory: String?
    var notify = NotifySettings()

    private static let topLevelKeys: Set<String> = ["archive", "account", "notify"]
    private static let archiveKeys: Set<String> = ["path", "export_dir"]
    private static let accountKeys: Set<String> = [
        "name", "url", "username", "password_file", "password_command", "password_env", "password_credential",
        "addresses", "allow_plaintext", "tls_ca_file", "folders", "auth", "oauth2_token_command", "interval",
        "closes_on", "warn_days", "final_export_days", "early_cutoff_hours", "oauth2",
    ]
    private static let folderKeys: Set<String> = ["include", "exclude"]
    private static let passwordKeys = ["password_file", "password_command", "password_env", "password_credential"]

    init(environment: [String: String]) {
        self.environment = environment
    }

    mutating func decodeMain(text: String, file: String) {
        guard let (table, lines) = parse(text: text, file: file) else { return }
        for key in table.keys where !Self.topLevelKeys.contains(key) {
            report(file, lines.line(path: "", key: key), nil, key, "unknown key")
        }
        if let archive = table["archive"] {
            if let archiveTable = archive.table {
                for key in archiveTable.keys where !Self.archiveKeys.contains(key) {
                    report(file, lines.line(path: "archive", key: key), nil, "archive.\(key)", "unknown key")
                }
                if let path = archiveTable["path"] {
                    let location = SourceLocation(file: file, line: lines.line(path: "archive", key: "path"))
                    if let value = path.string, !value.isEmpty {
                        archivePath = (value, location)
                    } else {
                        problems.append(ConfigProblem(location: location, key: "archive.path", message: "expected a non-empty string"))
                    }
                }
                if let value = archiveTable["export_dir"] {
                    if let text = value.string, !text.isEmpty {
                        exportDirectory = Self.absolute(text, base: (file as NSString).deletingLastPathComponent)
                    } else {
                        report(file, lines.line(path: "archive", key: "export_dir"), nil, "archive.export_dir", "expected a non-empty string")
                    }
                }
            } else {
                report(file, lines.line(path: "", key: "archive"), nil, "archive", "expected a table")
            }
        }
        if let value = table["notify"] {
            if let notifyTable = value.table { decodeNotify(notifyTable, lines: lines, file: file) } else { report(file, lines.line(path: "", key: "notify"), nil, "notify", "expected a table") }
        }
        decodeAccounts(table, lines: lines, file: file)
    }

    /// A drop-in holds `[[account]]` blocks only.
    mutating func decodeDropIn(text: String, file: String) {
        guard let (table, lines) = parse(text: text, file: file) else { return }
        for key in table.keys where key != "account" {
            report(file, lines.line(path: "", key: key), nil, key, "unknown key (a file in accounts.d holds [[account]] blocks only)")
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
        let path = archivePath.map { Self.absolute($0.value, base: baseDirectory) } ?? Self.defaultArchivePath(environment: environment)
        let exports = exportDirectory ?? ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("exports")
        return ArchiveSettings(path: path, exportDirectory: exports)
    }

    // MARK: - Notifications

    private mutating func decodeNotify(_ table: TOMLTable, lines: SourceLines, file: String) {
        func problem(_ path: String, _ key: String?, _ message: String) {
            let line = lines.line(path: path, key: key)
            problems.append(ConfigProblem(location: SourceLocation(file: file, line: line), key: key.map { "\(path).\($0)" } ?? path, message: message))
        }
        for key in table.keys where !["smtp", "webhook", "command", "desktop"].contains(key) { problem("notify", key, "unknown key") }
        if let smtp = table["smtp"]?.table {
            let known: Set<String> = ["url", "from", "to", "username", "password_file", "password_command", "password_env", "password_credential", "allow_plaintext", "tls_ca_file"]
            for key in smtp.keys where !known.contains(key) { problem("notify.smtp", key, "unknown key") }
            let url = smtp["url"]?.string
            let from = smtp["from"]?.string
            let to = smtp["to"]?.array?.compactMap(\.string) ?? smtp["to"]?.string.map { [$0] }
            if url == nil { problem("notify.smtp", nil, "missing url") }
            if let url, !(url.lowercased().hasPrefix("smtp://") || url.lowercased().hasPrefix("smtps://")) { problem("notify.smtp", "url", "use smtps:// or smtp://") }
            if from == nil { problem("notify.smtp", nil, "missing from") }
            if to?.isEmpty ?? true { problem("notify.smtp", nil, "missing to (one address or a list)") }
            var password: PasswordSource?
            let sources = Self.passwordKeys.filter { smtp[$0] != nil }
            if sources.count > 1 { problem("notify.smtp", sources[1], "only one password source may be set") }
            if let key = sources.first, let value = smtp[key]?.string {
                switch key {
                case "password_file": password = .file(Self.absolute(value, base: (file as NSString).deletingLastPathComponent))
                case "password_command": password = .command(value)
                case "password_env": password = .environment(value)
                default: password = .credential(value)
                }
            }
            if let url, let from, let to, !to.isEmpty {
                notify.smtp = SMTPSettings(url: url, from: from, to: to, username: smtp["username"]?.string, password: password,
                                           allowPlaintext: smtp["allow_plaintext"]?.bool ?? false, tlsCAFile: smtp["tls_ca_file"]?.string)
            }
        } else if table["smtp"] != nil {
            problem("notify", "smtp", "expected a table")
        }
        if let webhook = table["webhook"]?.table {
            for key in webhook.keys where !["url", "format"].contains(key) { problem("notify.webhook", key, "unknown key") }
            let format = webhook["format"]?.string ?? "json"
            if let url = webhook["url"]?.string, let parsed = WebhookSettings.Format(rawValue: format) {
                notify.webhook = WebhookSettings(url: url, format: parsed)
            } else if webhook["url"]?.string == nil {
                problem("notify.webhook", nil, "missing url")
            } else {
                problem("notify.webhook", "format", "\"\(format)\" is not one of json, text, slack")
            }
        }
        if let command = table["command"] {
            if let argv = command.array?.compactMap(\.string), !argv.isEmpty { notify.command = argv } else { problem("notify", "command", "expected an argv array such as [\"/usr/local/bin/page-me\", \"--urgent\"]") }
        }
        if let desktop = table["desktop"] {
            if let flag = desktop.bool { notify.desktop = flag } else { problem("notify", "desktop", "expected true or false") }
        }
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

    // MARK: - Accounts

    private mutating func decodeAccounts(_ table: TOMLTable, lines: SourceLines, file: String) {
        guard let value = table["account"] else { return }
        guard let array = value.array else {
            report(file, lines.line(path: "", key: "account"), nil, "account", "expected [[account]] blocks")
            return
        }
        for (index, element) in array.enumerated() {
            guard let block = element.table else {
                report(file, lines.line(path: "", key: "account"), nil, "account", "expected a table")
                continue
            }
            if let account = decodeAccount(block, index: index, lines: lines, file: file) { accounts.append(account) }
        }
    }

    private mutating func decodeAccount(_ block: TOMLTable, index: Int, lines: SourceLines, file: String) -> AccountConfig? {
        let startCount = problems.count
        let blockLine = lines.line(path: "account", accountIndex: index)
        let name = block["name"]?.string
        let label = name ?? "#\(index + 1)"
        func line(_ key: String) -> Int { lines.line(path: "account", accountIndex: index, key: key) }
        func problem(_ key: String?, _ message: String) {
            problems.append(ConfigProblem(location: SourceLocation(file: file, line: key.map(line) ?? blockLine), account: label, key: key, message: message))
        }
        func string(_ key: String, required: Bool) -> String? {
            guard let value = block[key] else {
                if required { problem(nil, "missing required key \"\(key)\"") }
                return nil
            }
            guard let text = value.string else {
                problem(key, "expected a string, found \(value.type)")
                return nil
            }
            return text
        }

        for key in block.keys where !Self.accountKeys.contains(key) { problem(key, "unknown key") }

        if let name {
            if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) {
                problem("name", "use letters, digits, \".\", \"_\" or \"-\" only")
            } else if name == "." || name == ".." {
                problem("name", "\"\(name)\" cannot name a directory of its own (exports go to <export_dir>/<name>)")
            }
        } else if block["name"] != nil {
            problem("name", "expected a string")
        } else {
            problem(nil, "missing required key \"name\"")
        }

        let url = string("url", required: true)
        if let url {
            let lower = url.lowercased()
            if !(lower.hasPrefix("imaps://") || lower.hasPrefix("imap://")) {
                problem("url", "unsupported scheme in \"\(url)\": use imaps:// or imap://")
            } else if URLComponents(string: url)?.host?.isEmpty ?? true {
                problem("url", "no host in \"\(url)\"")
            }
        }
        let username = string("username", required: true)

        var auth = AuthMechanism.password
        if let value = string("auth", required: false) {
            if let mechanism = AuthMechanism(rawValue: value.lowercased()) {
                auth = mechanism
            } else {
                problem("auth", "\"\(value)\" is not one of password, xoauth2, oauthbearer")
            }
        } else if block["oauth2"] != nil {
            auth = .xoauth2
        }
        var oauth2: OAuth2Settings?
        if let value = block["oauth2"] {
            if let table = value.table {
                let place = TablePlace(file: file, lines: lines, path: "account.oauth2", accountIndex: index, keyPrefix: "oauth2.", account: label)
                oauth2 = decodeTable(OAuth2Table.self, from: table, at: place)?.settings
                if case .file(let path)? = oauth2?.clientSecret {
                    oauth2?.clientSecret = .file(Self.absolute(path, base: (file as NSString).deletingLastPathComponent))
                }
            } else {
                problem("oauth2", "expected a table ([account.oauth2])")
            }
        }
        let tokenCommand = string("oauth2_token_command", required: false)
        let givenSources = Self.passwordKeys.filter { block[$0] != nil }.sorted { line($0) < line($1) }
        var password: PasswordSource?
        if auth.usesToken {
            if let source = givenSources.first { problem(source, "not used with auth = \"\(auth.rawValue)\"; set [account.oauth2] or oauth2_token_command") }
            if block["oauth2"] != nil, tokenCommand != nil {
                problem("oauth2_token_command", "set [account.oauth2] or oauth2_token_command, not both")
            } else if block["oauth2"] != nil {
                password = .signIn
            } else if let tokenCommand, !tokenCommand.isEmpty {
                password = .command(tokenCommand)
            } else {
                problem(nil, "auth = \"\(auth.rawValue)\" needs oauth2_token_command (a command printing a fresh access token) or an [account.oauth2] table (kith signs in itself)")
            }
        } else if block["oauth2"] != nil {
            problems.append(ConfigProblem(location: SourceLocation(file: file, line: lines.line(path: "account.oauth2", accountIndex: index)),
                                          account: label, key: "oauth2", message: "only used with auth = \"xoauth2\" or \"oauthbearer\""))
        } else if tokenCommand != nil {
            problem("oauth2_token_command", "only used with auth = \"xoauth2\" or \"oauthbearer\"")
        } else if givenSources.isEmpty {
            problem(nil, "no password source: set one of password_file, password_command, password_env, password_credential")
        } else if givenSources.count > 1 {
            problem(givenSources[1], "only one password source may be set, found \(givenSources.joined(separator: " and "))")
        } else if let value = string(givenSources[0], required: true) {
            if value.isEmpty { problem(givenSources[0], "must not be empty") }
            switch givenSources[0] {
            case "password_file": password = .file(Self.absolute(value, base: (file as NSString).deletingLastPathComponent))
            case "password_command": password = .command(value)
            case "password_env": password = .environment(value)
            default: password = .credential(value)
            }
        }

        var addresses: [String] = []
        if let value = block["addresses"] {
            if let array = value.array, array.allSatisfy({ $0.string != nil }) {
                addresses = array.compactMap { $0.string?.lowercased().trimmingCharacters(in: .whitespaces) }
                for address in addresses where !address.contains("@") { problem("addresses", "\"\(address)\" is not an e-mail address") }
            } else {
                problem("addresses", "expected an array of strings")
            }
        } else if let username, username.contains("@") {
            addresses = [username.lowercased()]
        } else {
            problem(nil, "missing \"addresses\" (the owner's addresses in this account), and the username is not an address")
        }

        var allowPlaintext = false
        if let value = block["allow_plaintext"] {
            if let flag = value.bool { allowPlaintext = flag } else { problem("allow_plaintext", "expected true or false, found \(value.type)") }
        }
        let caFile = string("tls_ca_file", required: false).map { Self.absolute($0, base: (file as NSString).deletingLastPathComponent) }

        var intervalSeconds = 6 * 3600
        if let text = string("interval", required: false) {
            if let seconds = DurationText.seconds(text) {
                intervalSeconds = seconds
            } else {
                problem("interval", "\"\(text)\" is not a duration such as 90s, 30m, 6h or 1d")
            }
        }
        var deprovisioning: Deprovisioning?
        if let value = block["closes_on"] {
            if let date = value.date {
                var plan = Deprovisioning(closesOnDay: Self.dayNumber(year: date.year, month: date.month, day: date.day))
                if let warn = block["warn_days"] {
                    if let array = warn.array, array.allSatisfy({ ($0.int ?? -1) > 0 }) {
                        plan.warnDays = array.compactMap(\.int).sorted(by: >)
                    } else {
                        problem("warn_days", "expected an array of positive whole numbers of days")
                    }
                }
                if let days = block["final_export_days"] {
                    if let number = days.int, number >= 0 { plan.finalExportDays = number } else { problem("final_export_days", "expected a whole number of days (0 or more)") }
                }
                deprovisioning = plan
            } else {
                problem("closes_on", "expected a date such as 2027-03-31 (no quotes), found \(value.type)")
            }
        } else {
            for key in ["warn_days", "final_export_days"] where block[key] != nil { problem(key, "only used with closes_on") }
        }
        var folders = FolderSelection()
        if let value = block["folders"] {
            if let table = value.table {
                for key in table.keys where !Self.folderKeys.contains(key) {
                    problems.append(ConfigProblem(location: SourceLocation(file: file, line: lines.line(path: "account.folders", accountIndex: index, key: key)),
                                                  account: label, key: "folders.\(key)", message: "unknown key"))
                }
                for key in ["include", "exclude"] {
                    guard let list = table[key] else { continue }
                    if let array = list.array, array.allSatisfy({ $0.string != nil }) {
                        let patterns = array.compactMap(\.string)
                        if key == "include" { folders.include = patterns } else { folders.exclude = patterns }
                    } else {
                        problems.append(ConfigProblem(location: SourceLocation(file: file, line: lines.line(path: "account.folders", accountIndex: index, key: key)),
                                                      account: label, key: "folders.\(key)", message: "expected an array of strings"))
                    }
                }
            } else {
                problem("folders", "expected a table with include and exclude")
            }
        }

        guard problems.count == startCount, let name, let url, let username, let password else { return nil }
        var account = AccountConfig(name: name, url: url, username: username, password: password, auth: auth, addresses: addresses,
                             allowPlaintext: allowPlaintext, tlsCAFile: caFile, folders: folders,
                             intervalSeconds: intervalSeconds, location: SourceLocation(file: file, line: blockLine))
        account.deprovisioning = deprovisioning
        account.oauth2 = oauth2
        if let value = block["early_cutoff_hours"] {
            guard let hours = value.int, hours > 0 else {
                problem("early_cutoff_hours", "expected a positive whole number of hours")
                return nil
            }
            account.earlyCutoffHours = hours
        }
        return account
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

    private mutating func report(_ file: String, _ line: Int, _ account: String?, _ key: String, _ message: String) {
        problems.append(ConfigProblem(location: SourceLocation(file: file, line: line), account: account, key: key, message: message))
    }
}
