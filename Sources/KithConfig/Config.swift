import Foundation

/// Everything kith read from its configuration: the archive and one entry per work mailbox.
public struct Config: Sendable {
    public var archive: ArchiveSettings
    public var accounts: [AccountConfig]
    public var notify: NotifySettings
    /// The main file and the drop-in files that were read, in order.
    public var files: [String]
    /// `[digest]`, when the user wants one.
    public var digest: DigestSettings? = nil
    /// `[carddav]`, when an address book is to be filled.
    public var carddav: CardDAVSettings? = nil

    public func account(named name: String) -> AccountConfig? {
        accounts.first { $0.name == name }
    }

    /// The accounts kith logs into: every block with a `url`.
    public var harvestedAccounts: [AccountConfig] { accounts.filter { !$0.archiveOnly } }
}

/// `[archive]`: where the archive lives.
public struct ArchiveSettings: Sendable {
    /// Absolute path of the SQLite archive.
    public var path: String
    /// Where final exports go (`export_dir`): by default `exports/` next to the archive.
    public var exportDirectory: String
}

/// One `[[account]]`: a work mailbox to harvest.
public struct AccountConfig: Sendable {
    public var name: String
    public var url: String
    public var username: String
    /// The password's source; with OAuth2, the command that prints a fresh access token.
    public var password: PasswordSource
    public var auth: AuthMechanism
    /// The owner's addresses in this account, lowercased: never archived as contacts; mail from them is "sent".
    public var addresses: [String]
    public var allowPlaintext: Bool
    public var tlsCAFile: String?
    public var folders: FolderSelection
    /// Seconds between scheduled harvests (`interval`, default 6h).
    public var intervalSeconds: Int
    /// When the employer closes the mailbox, if known; with the warning and export schedule around it.
    public var deprovisioning: Deprovisioning?
    /// After this many hours of failed logins an account that used to work raises an urgent notice (`early_cutoff_hours`).
    public var earlyCutoffHours = 24
    /// Built-in OAuth2 sign-in (`[account.oauth2]`); the password source is then `.signIn`.
    public var oauth2: OAuth2Settings?
    /// A block without `url`: a job whose server is gone, known from imported mail only. Never contacted.
    public var archiveOnly = false
    /// Where the block starts, for messages about it.
    public var location: SourceLocation

    public init(name: String, url: String, username: String, password: PasswordSource, auth: AuthMechanism = .password,
                addresses: [String], allowPlaintext: Bool = false, tlsCAFile: String? = nil, folders: FolderSelection = FolderSelection(),
                intervalSeconds: Int = 6 * 3600, location: SourceLocation = SourceLocation(file: "<built-in>", line: 0)) {
        self.name = name
        self.url = url
        self.username = username
        self.password = password
        self.auth = auth
        self.addresses = addresses.map { $0.lowercased() }
        self.allowPlaintext = allowPlaintext
        self.tlsCAFile = tlsCAFile
        self.folders = folders
        self.intervalSeconds = intervalSeconds
        self.location = location
        self.deprovisioning = nil
        self.oauth2 = nil
    }
}

/// `closes_on` and what happens before it: warnings, then the final full export.
public struct Deprovisioning: Sendable, Equatable {
    /// The last day the mailbox can be read, as days since 1970-01-01 (UTC).
    public var closesOnDay: Int
    /// Days before closing at which the user is warned (default 30, 14, 7, 3, 1).
    public var warnDays: [Int]
    /// Days before closing at which the final export runs by itself (default 14).
    public var finalExportDays: Int

    public init(closesOnDay: Int, warnDays: [Int] = [30, 14, 7, 3, 1], finalExportDays: Int = 14) {
        self.closesOnDay = closesOnDay
        self.warnDays = warnDays.sorted(by: >)
        self.finalExportDays = finalExportDays
    }

    /// `YYYY-MM-DD` of the closing day.
    public var closesOnText: String {
        let date = Date(timeIntervalSince1970: TimeInterval(closesOnDay) * 86_400)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }
}

/// How an account logs in (`auth`): a password (libcurl picks the SASL mechanism), or an OAuth2 bearer token.
public enum AuthMechanism: String, Sendable, Equatable {
    case password
    case xoauth2
    case oauthBearer = "oauthbearer"

    public var usesToken: Bool { self != .password }
}

/// Which folders to harvest: glob patterns over decoded folder names (`*` and `?`).
public struct FolderSelection: Sendable, Equatable {
    /// When non-empty, only folders matching one of these (special-use exclusions no longer apply).
    public var include: [String]
    /// Folders matching one of these are skipped.
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }
}

/// Where an account's password comes from; the password itself is never stored in the config.
public enum PasswordSource: Sendable, Equatable, CustomStringConvertible {
    case file(String)
    case command(String)
    case environment(String)
    /// A systemd credential: `$CREDENTIALS_DIRECTORY/NAME` (`LoadCredential=`).
    case credential(String)
    /// Tokens from `kith login`, kept in `credentials/` next to the archive (`[account.oauth2]`).
    case signIn

    public var description: String {
        switch self {
        case .file(let path): "password_file \(path)"
        case .command(let command): "password_command \(command)"
        case .environment(let name): "password_env \(name)"
        case .credential(let name): "password_credential \(name)"
        case .signIn: "kith login (tokens in credentials/ next to the archive)"
        }
    }
}

/// A file and line, for messages that point at configuration.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}
