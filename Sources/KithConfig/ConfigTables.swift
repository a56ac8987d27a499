import Foundation
import TOMLKit

/// `[archive]`.
struct ArchiveTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case path
        case exportDirectory = "export_dir"
    }
    static let allowedKeys = keys(CodingKeys.self)

    var path: String?
    var exportDirectory: String?
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        path = reader.read(.path, "a non-empty string")
        if path?.isEmpty == true { reader.problem(.path, "expected a non-empty string") }
        exportDirectory = reader.read(.exportDirectory, "a non-empty string")
        if exportDirectory?.isEmpty == true { reader.problem(.exportDirectory, "expected a non-empty string") }
        problems = reader.problems
    }
}

/// `[[account]]`, as written; `folders` and `oauth2` are tables of their own, decoded by their types.
struct AccountTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, url, username
        case passwordFile = "password_file", passwordCommand = "password_command"
        case passwordEnv = "password_env", passwordCredential = "password_credential"
        case addresses
        case allowPlaintext = "allow_plaintext"
        case tlsCAFile = "tls_ca_file"
        case folders, auth
        case oauth2TokenCommand = "oauth2_token_command"
        case oauth2, interval
        case closesOn = "closes_on"
        case warnDays = "warn_days"
        case finalExportDays = "final_export_days"
        case earlyCutoffHours = "early_cutoff_hours"
    }
    static let allowedKeys = keys(CodingKeys.self)
    static let passwordKeys: [CodingKeys] = [.passwordFile, .passwordCommand, .passwordEnv, .passwordCredential]

    var name: String?
    var url: String?
    var username: String?
    /// Each password source given, by key.
    var passwordSources: [(key: String, value: String)] = []
    var addresses: [String]?
    var allowPlaintext: Bool?
    var tlsCAFile: String?
    var auth: String?
    var oauth2TokenCommand: String?
    var interval: String?
    var closesOn: TOMLDate?
    var warnDays: [Int]?
    var finalExportDays: Int?
    var earlyCutoffHours: Int?
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        name = reader.read(.name, "a string")
        url = reader.read(.url, "a string")
        username = reader.read(.username, "a string")
        for key in Self.passwordKeys {
            if let value = reader.read(key, "a string", as: String.self) { passwordSources.append((key.stringValue, value)) }
        }
        addresses = reader.read(.addresses, "an array of strings")
        allowPlaintext = reader.read(.allowPlaintext, "true or false")
        tlsCAFile = reader.read(.tlsCAFile, "a string")
        auth = reader.read(.auth, "a string")
        oauth2TokenCommand = reader.read(.oauth2TokenCommand, "a string")
        interval = reader.read(.interval, "a string")
        closesOn = reader.read(.closesOn, "a date such as 2027-03-31 (no quotes)")
        warnDays = reader.read(.warnDays, "an array of positive whole numbers of days")
        if warnDays?.contains(where: { $0 <= 0 }) == true {
            reader.problem(.warnDays, "expected an array of positive whole numbers of days")
            warnDays = nil
        }
        finalExportDays = reader.read(.finalExportDays, "a whole number of days (0 or more)")
        if let days = finalExportDays, days < 0 { reader.problem(.finalExportDays, "expected a whole number of days (0 or more)") }
        earlyCutoffHours = reader.read(.earlyCutoffHours, "a positive whole number of hours")
        if let hours = earlyCutoffHours, hours <= 0 { reader.problem(.earlyCutoffHours, "expected a positive whole number of hours") }
        if closesOn == nil, !reader.contains(.closesOn) {
            for key in [CodingKeys.warnDays, .finalExportDays] where reader.contains(key) { reader.problem(key, "only used with closes_on") }
        }
        problems = reader.problems
    }
}

/// `[account.folders]`: glob patterns of folders to read or skip.
struct FoldersTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable { case include, exclude }
    static let allowedKeys = keys(CodingKeys.self)

    var selection = FolderSelection()
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        selection.include = reader.read(.include, "an array of strings") ?? []
        selection.exclude = reader.read(.exclude, "an array of strings") ?? []
        problems = reader.problems
    }
}

/// `[notify]`; `smtp` and `webhook` are tables of their own.
struct NotifyTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable { case smtp, webhook, command, desktop }
    static let allowedKeys = keys(CodingKeys.self)

    var command: [String]?
    var desktop: Bool?
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        command = reader.read(.command, "an argv array such as [\"/usr/local/bin/page-me\", \"--urgent\"]")
        if command?.isEmpty == true {
            reader.problem(.command, "expected an argv array such as [\"/usr/local/bin/page-me\", \"--urgent\"]")
            command = nil
        }
        desktop = reader.read(.desktop, "true or false")
        problems = reader.problems
    }
}

/// `[notify.smtp]`.
struct SMTPTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, from, to, username
        case passwordFile = "password_file", passwordCommand = "password_command"
        case passwordEnv = "password_env", passwordCredential = "password_credential"
        case allowPlaintext = "allow_plaintext"
        case tlsCAFile = "tls_ca_file"
    }
    static let allowedKeys = keys(CodingKeys.self)

    var url: String?
    var from: String?
    var to: [String]?
    var username: String?
    var passwordSources: [(key: String, value: String)] = []
    var allowPlaintext: Bool?
    var tlsCAFile: String?
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        url = reader.read(.url, "a string")
        if let url, !(url.lowercased().hasPrefix("smtp://") || url.lowercased().hasPrefix("smtps://")) { reader.problem(.url, "use smtps:// or smtp://") }
        if !reader.contains(.url) { reader.problem(nil, "missing url") }
        from = reader.read(.from, "a string")
        if !reader.contains(.from) { reader.problem(nil, "missing from") }
        // One address or a list.
        to = (try? reader.container.decode(String.self, forKey: .to)).map { [$0] } ?? reader.read(.to, "one address or a list of addresses")
        if to?.isEmpty ?? !reader.contains(.to) { reader.problem(nil, "missing to (one address or a list)") }
        username = reader.read(.username, "a string")
        for key in [CodingKeys.passwordFile, .passwordCommand, .passwordEnv, .passwordCredential] {
            if let value = reader.read(key, "a string", as: String.self) { passwordSources.append((key.stringValue, value)) }
        }
        if passwordSources.count > 1 { reader.problem(CodingKeys(stringValue: passwordSources[1].key), "only one password source may be set") }
        allowPlaintext = reader.read(.allowPlaintext, "true or false")
        tlsCAFile = reader.read(.tlsCAFile, "a string")
        problems = reader.problems
    }
}

/// `[notify.webhook]`.
struct WebhookTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable { case url, format }
    static let allowedKeys = keys(CodingKeys.self)

    var settings: WebhookSettings?
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        let url = reader.read(.url, "a string", as: String.self)
        if !reader.contains(.url) { reader.problem(nil, "missing url") }
        let formatName = reader.read(.format, "a string", as: String.self) ?? "json"
        let format = WebhookSettings.Format(rawValue: formatName)
        if format == nil { reader.problem(.format, "\"\(formatName)\" is not one of json, text, slack") }
        if let url, let format { settings = WebhookSettings(url: url, format: format) }
        problems = reader.problems
    }
}

/// `[account.oauth2]`, as written.
struct OAuth2Table: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case provider
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case clientSecretFile = "client_secret_file"
        case tenant, flow, scopes
        case deviceAuthorizationURL = "device_authorization_url"
        case authorizationURL = "authorization_url"
        case tokenURL = "token_url"
    }
    static let allowedKeys = keys(CodingKeys.self)

    /// Nil when a problem was found.
    var settings: OAuth2Settings?
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        settings = Self.settings(&reader)
        problems = reader.problems
        if !problems.isEmpty { settings = nil }
    }

    private static func settings(_ reader: inout FieldReader<CodingKeys>) -> OAuth2Settings? {
        let providerName = reader.read(.provider, "a string", as: String.self)
        let clientID = reader.read(.clientID, "a string", as: String.self)
        for key in [CodingKeys.provider, .clientID] where !reader.contains(key) { reader.problem(nil, "missing required key \"\(key.stringValue)\"") }
        guard let providerName, let clientID else { return nil }
        guard let provider = OAuth2Settings.Provider(rawValue: providerName) else {
            reader.problem(.provider, "\"\(providerName)\" is not one of microsoft, google, custom")
            return nil
        }
        if clientID.isEmpty { reader.problem(.clientID, "must not be empty (the application id of your app registration; see docs/oauth2.md)") }
        var secret = reader.read(.clientSecret, "a string", as: String.self).map(OAuth2Settings.ClientSecret.value)
        if let path = reader.read(.clientSecretFile, "a string", as: String.self) {
            if secret != nil { reader.problem(.clientSecretFile, "set client_secret or client_secret_file, not both") }
            secret = .file(path)  // made absolute by the caller, which knows the file
        }
        let tenant = reader.read(.tenant, "a string", as: String.self)
        if tenant != nil, provider != .microsoft { reader.problem(.tenant, "only used with provider = \"microsoft\"") }
        if let tenant, tenant.isEmpty || !tenant.allSatisfy({ $0.isLetter || $0.isNumber || "-.".contains($0) }) {
            reader.problem(.tenant, "\"\(tenant)\" is not common, organizations, a tenant id or a domain")
        }
        var flow: OAuth2Settings.Flow?
        if let name = reader.read(.flow, "a string", as: String.self) {
            flow = OAuth2Settings.Flow(rawValue: name)
            if flow == nil { reader.problem(.flow, "\"\(name)\" is not one of device, loopback") }
        }
        let scopes = reader.read(.scopes, "an array of strings", as: [String].self)
        if scopes?.isEmpty == true { reader.problem(.scopes, "must not be empty") }
        let given = (device: reader.read(.deviceAuthorizationURL, "a string", as: String.self),
                     authorization: reader.read(.authorizationURL, "a string", as: String.self),
                     token: reader.read(.tokenURL, "a string", as: String.self))
        guard reader.problems.isEmpty else { return nil }
        let settings = OAuth2Settings(provider: provider, clientID: clientID, clientSecret: secret, tenant: tenant, flow: flow, scopes: scopes,
                                      deviceAuthorizationURL: given.device, authorizationURL: given.authorization, tokenURL: given.token)
        for (key, url) in [(CodingKeys.deviceAuthorizationURL, given.device), (.authorizationURL, given.authorization), (.tokenURL, given.token)] {
            if let url, !OAuth2Settings.isAcceptableEndpoint(url) {
                reader.problem(key, "\"\(url)\" must be https:// (plain http:// only to 127.0.0.1 or localhost)")
            }
        }
        if settings.tokenURL.isEmpty {
            reader.problem(.tokenURL, "provider = \"custom\" needs token_url")
            return nil
        }
        switch settings.flow {
        case .device where settings.deviceAuthorizationURL == nil:
            reader.problem(.deviceAuthorizationURL, "flow = \"device\" with provider = \"custom\" needs device_authorization_url")
        case .loopback where settings.authorizationURL == nil:
            reader.problem(.authorizationURL, "flow = \"loopback\" with provider = \"custom\" needs authorization_url")
        case .device where provider == .google && settings.scopes.contains("https://mail.google.com/"):
            reader.problem(.flow, "Google does not allow the Gmail scope in the device flow; use flow = \"loopback\" (the default)")
        default:
            break
        }
        return settings
    }
}

/// `[digest]`.
struct DigestTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable { case every, limit }
    static let allowedKeys = keys(CodingKeys.self)

    var settings = DigestSettings()
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        if let every = reader.read(.every, "a duration such as \"7d\"", as: String.self) {
            if let seconds = DurationText.seconds(every) { settings.everySeconds = seconds } else {
                reader.problem(.every, "\"\(every)\" is not a duration such as \"7d\", \"12h\" or \"30m\"")
            }
        }
        if let limit = reader.read(.limit, "a whole number", as: Int.self) {
            if (1...1000).contains(limit) { settings.limit = limit } else { reader.problem(.limit, "expected 1 to 1000, got \(limit)") }
        }
        problems = reader.problems
    }
}

/// `[carddav]`, as written.
struct CardDAVTable: ConfigTable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, username
        case passwordFile = "password_file", passwordCommand = "password_command"
        case passwordEnv = "password_env", passwordCredential = "password_credential"
        case minStrength = "min_strength", top, sync
        case tlsCAFile = "tls_ca_file"
    }
    static let allowedKeys = keys(CodingKeys.self)

    var url: String?
    var username: String?
    var passwordSources: [(key: String, value: String)] = []
    var selection = CardDAVSettings.Selection.minStrength(10)
    var sync: Bool?
    var tlsCAFile: String?
    var problems: [FieldProblem]

    init(from decoder: Decoder) throws {
        var reader = try FieldReader(decoder, keys: CodingKeys.self)
        url = reader.read(.url, "a string")
        if let url {
            if !OAuth2Settings.isAcceptableEndpoint(url) {
                reader.problem(.url, "\"\(url)\" must be https:// (plain http:// only to 127.0.0.1 or localhost)")
            } else if !url.hasSuffix("/") {
                reader.problem(.url, "the address book's URL ends with /")
            }
        } else if !reader.contains(.url) {
            reader.problem(nil, "missing url (the address book collection, such as https://dav.example/addressbooks/me/contacts/)")
        }
        username = reader.read(.username, "a string")
        if !reader.contains(.username) { reader.problem(nil, "missing username") }
        for key in [CodingKeys.passwordFile, .passwordCommand, .passwordEnv, .passwordCredential] {
            if let value = reader.read(key, "a string", as: String.self) { passwordSources.append((key.stringValue, value)) }
        }
        if passwordSources.isEmpty { reader.problem(nil, "missing a password source (password_file, password_command, password_env or password_credential)") }
        if passwordSources.count > 1 { reader.problem(CodingKeys(stringValue: passwordSources[1].key), "only one password source may be set") }
        // TOML keeps 10 and 10.0 apart; either is a strength.
        let minimum = (try? reader.container.decode(Int.self, forKey: .minStrength)).map(Double.init)
            ?? reader.read(.minStrength, "a number", as: Double.self)
        let top = reader.read(.top, "a whole number", as: Int.self)
        switch (minimum, top) {
        case (.some, .some): reader.problem(.top, "set min_strength or top, not both")
        case (.some(let value), nil): selection = .minStrength(value)
        case (nil, .some(let count)):
            if count > 0 { selection = .top(count) } else { reader.problem(.top, "expected a positive number") }
        case (nil, nil): break
        }
        sync = reader.read(.sync, "true or false")
        tlsCAFile = reader.read(.tlsCAFile, "a string")
        problems = reader.problems
    }
}
