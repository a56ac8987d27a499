import Foundation
import TOMLKit

/// What spans several keys of one `[[account]]`: required keys, exactly one secret source, defaults
/// taken from other keys, and the nested `folders` and `oauth2` tables. Builds the `AccountConfig`.
struct AccountCheck {
    let table: AccountTable
    let place: TablePlace
    /// The config file's directory, for relative paths.
    let base: String
    /// The keys written in the block, whatever their values.
    let writtenKeys: Set<String>
    private(set) var problems: [ConfigProblem] = []

    init(table: AccountTable, place: TablePlace, base: String, writtenKeys: Set<String>) {
        self.table = table
        self.place = place
        self.base = base
        self.writtenKeys = writtenKeys
    }

    private mutating func problem(_ key: String?, _ message: String) {
        problems.append(place.problem(key, message))
    }

    private func line(_ key: String) -> Int { place.location(key).line }

    mutating func build(folders: TOMLValueConvertible?, oauth2: TOMLValueConvertible?, decoder: inout ConfigDecoder) -> AccountConfig? {
        let name = checkName()
        // No url but the owner's addresses: an account known from imported mail only.
        if !writtenKeys.contains("url"), table.addresses != nil {
            return archiveOnlyAccount(name: name)
        }
        let url = checkURL()
        let username = table.username
        if !writtenKeys.contains("username") { problem(nil, "missing required key \"username\"") }

        var auth = AuthMechanism.password
        if let value = table.auth {
            if let mechanism = AuthMechanism(rawValue: value.lowercased()) { auth = mechanism } else {
                problem("auth", "\"\(value)\" is not one of password, xoauth2, oauthbearer")
            }
        } else if oauth2 != nil {
            auth = .xoauth2
        }
        var signIn: OAuth2Settings?
        if let oauth2 {
            if let oauth2Table = oauth2.tomlValue.table {
                var nested = place
                nested.path = "account.oauth2"
                nested.keyPrefix = "oauth2."
                signIn = decoder.decodeTable(OAuth2Table.self, from: oauth2Table, at: nested)?.settings
                if case .file(let path)? = signIn?.clientSecret { signIn?.clientSecret = .file(ConfigDecoder.absolute(path, base: base)) }
            } else {
                problem("oauth2", "expected a table ([account.oauth2])")
            }
        }
        let password = checkSecretSource(auth: auth, hasOAuth2Table: oauth2 != nil)
        let addresses = checkAddresses(username: username)
        let selection = decodeFolders(folders, decoder: &decoder)

        var intervalSeconds = 6 * 3600
        if let text = table.interval {
            if let seconds = DurationText.seconds(text) { intervalSeconds = seconds } else {
                problem("interval", "\"\(text)\" is not a duration such as 90s, 30m, 6h or 1d")
            }
        }
        guard let name, let url, let username, let password else { return nil }
        var account = AccountConfig(name: name, url: url, username: username, password: password, auth: auth, addresses: addresses,
                                    allowPlaintext: table.allowPlaintext ?? false,
                                    tlsCAFile: table.tlsCAFile.map { ConfigDecoder.absolute($0, base: base) },
                                    folders: selection ?? FolderSelection(), intervalSeconds: intervalSeconds,
                                    location: place.location(nil))
        account.oauth2 = signIn
        if let date = table.closesOn {
            var plan = Deprovisioning(closesOnDay: ConfigDecoder.dayNumber(year: date.year, month: date.month, day: date.day))
            if let days = table.warnDays { plan.warnDays = days.sorted(by: >) }
            if let days = table.finalExportDays { plan.finalExportDays = days }
            account.deprovisioning = plan
        }
        if let hours = table.earlyCutoffHours { account.earlyCutoffHours = hours }
        return account
    }

    private mutating func archiveOnlyAccount(name: String?) -> AccountConfig? {
        for key in ["username", "auth", "oauth2", "oauth2_token_command", "password_file", "password_command", "password_env",
                    "password_credential", "folders", "interval", "tls_ca_file", "allow_plaintext"] where writtenKeys.contains(key) {
            problem(key, "not used by an account without url (known from imported mail only)")
        }
        let addresses = checkAddresses(username: nil)
        guard let name else { return nil }
        var account = AccountConfig(name: name, url: "", username: "", password: .environment(""), addresses: addresses,
                                    location: place.location(nil))
        account.archiveOnly = true
        if let date = table.closesOn {
            account.deprovisioning = Deprovisioning(closesOnDay: ConfigDecoder.dayNumber(year: date.year, month: date.month, day: date.day))
        }
        return account
    }

    private mutating func checkName() -> String? {
        guard let name = table.name else {
            if !writtenKeys.contains("name") { problem(nil, "missing required key \"name\"") }
            return nil
        }
        if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) {
            problem("name", "use letters, digits, \".\", \"_\" or \"-\" only")
        } else if name == "." || name == ".." {
            problem("name", "\"\(name)\" cannot name a directory of its own (exports go to <export_dir>/<name>)")
        }
        return name
    }

    private mutating func checkURL() -> String? {
        guard let url = table.url else {
            if !writtenKeys.contains("url") { problem(nil, "missing required key \"url\"") }
            return nil
        }
        let lower = url.lowercased()
        if !(lower.hasPrefix("imaps://") || lower.hasPrefix("imap://")) {
            problem("url", "unsupported scheme in \"\(url)\": use imaps:// or imap://")
        } else if URLComponents(string: url)?.host?.isEmpty ?? true {
            problem("url", "no host in \"\(url)\"")
        }
        return url
    }

    /// Exactly one source: a password source for `auth = "password"`; `[account.oauth2]` or
    /// `oauth2_token_command` for the token mechanisms.
    private mutating func checkSecretSource(auth: AuthMechanism, hasOAuth2Table: Bool) -> PasswordSource? {
        let given = table.passwordSources.sorted { line($0.key) < line($1.key) }
        let tokenCommand = table.oauth2TokenCommand
        if auth.usesToken {
            if let source = given.first { problem(source.key, "not used with auth = \"\(auth.rawValue)\"; set [account.oauth2] or oauth2_token_command") }
            if hasOAuth2Table, tokenCommand != nil {
                problem("oauth2_token_command", "set [account.oauth2] or oauth2_token_command, not both")
            } else if hasOAuth2Table {
                return .signIn
            } else if let tokenCommand, !tokenCommand.isEmpty {
                return .command(tokenCommand)
            } else {
                problem(nil, "auth = \"\(auth.rawValue)\" needs oauth2_token_command (a command printing a fresh access token) or an [account.oauth2] table (kith signs in itself)")
            }
        } else if hasOAuth2Table {
            var header = place
            header.path = "account.oauth2"
            problems.append(ConfigProblem(location: header.location(nil), account: place.account, key: "oauth2",
                                          message: "only used with auth = \"xoauth2\" or \"oauthbearer\""))
        } else if tokenCommand != nil {
            problem("oauth2_token_command", "only used with auth = \"xoauth2\" or \"oauthbearer\"")
        } else if given.isEmpty {
            problem(nil, "no password source: set one of password_file, password_command, password_env, password_credential")
        } else if given.count > 1 {
            problem(given[1].key, "only one password source may be set, found \(given.map(\.key).joined(separator: " and "))")
        } else {
            if given[0].value.isEmpty { problem(given[0].key, "must not be empty") }
            return ConfigDecoder.passwordSource(key: given[0].key, value: given[0].value, base: base)
        }
        return nil
    }

    private mutating func checkAddresses(username: String?) -> [String] {
        if let given = table.addresses {
            let addresses = given.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
            for address in addresses where !address.contains("@") { problem("addresses", "\"\(address)\" is not an e-mail address") }
            return addresses
        }
        if let username, username.contains("@") { return [username.lowercased()] }
        if problems.allSatisfy({ $0.key != "addresses" }) {
            problem(nil, "missing \"addresses\" (the owner's addresses in this account), and the username is not an address")
        }
        return []
    }

    private mutating func decodeFolders(_ value: TOMLValueConvertible?, decoder: inout ConfigDecoder) -> FolderSelection? {
        guard let value else { return nil }
        guard let folders = value.tomlValue.table else {
            problem("folders", "expected a table with include and exclude")
            return nil
        }
        var nested = place
        nested.path = "account.folders"
        nested.keyPrefix = "folders."
        return decoder.decodeTable(FoldersTable.self, from: folders, at: nested)?.selection
    }
}
