import Foundation
import KithConfig

/// The text of an `accounts.d/NAME.toml` written by `kith add`: the account, commented like the sample.
public struct AccountFile {
    public var name: String
    public var address: String
    public var server: DiscoveredServer
    /// `YYYY-MM-DD`, when the user knows the last day.
    public var closesOn: String?
    /// The OAuth2 app registration's id, when known (another account of the same provider, or --client-id).
    public var clientID: String?
    /// Where a password account reads its password.
    public var passwordFile: String

    public init(name: String, address: String, server: DiscoveredServer, closesOn: String?, clientID: String?, passwordFile: String) {
        self.name = name
        self.address = address
        self.server = server
        self.closesOn = closesOn
        self.clientID = clientID
        self.passwordFile = passwordFile
    }

    /// The account name `kith add` picks: the domain's first label (`acme` for me@acme.example).
    public static func defaultName(for address: String) -> String {
        let domain = address.split(separator: "@").last.map(String.init) ?? address
        let label = domain.split(separator: ".").first.map(String.init) ?? domain
        let cleaned = String(label.lowercased().filter { $0.isLetter || $0.isNumber || "-_".contains($0) })
        return cleaned.isEmpty ? "work" : cleaned
    }

    public var text: String {
        var lines = [
            "# \(name): written by `kith add \(address)` (server found by \(server.foundBy)\(server.provider.map { ": \($0)" } ?? "")).",
            "# See the commented sample (Config/kith.toml, or `kith init`) for every key.",
            "[[account]]",
            "name = \"\(name)\"",
            "url = \"\(server.url)\"",
            "username = \"\(address)\"",
            "# Your addresses in this job (aliases too): mail from them is \"sent\", and they are never contacts.",
            "addresses = [\"\(address.lowercased())\"]",
        ]
        if let closesOn {
            lines.append("# Your last day: warnings before it, then the final export (final_export_days before).")
            lines.append("closes_on = \(closesOn)")
        } else {
            lines.append("# closes_on = 2027-03-31          # your last day, when you know it: warnings, then the final export")
        }
        lines.append("# interval = \"6h\"                 # how often the daemon harvests")
        lines.append("# folders = { exclude = [\"Archive/Old/*\"] }")
        if let provider = server.oauth2 {
            lines.append("auth = \"xoauth2\"")
            lines.append("")
            lines.append("# Sign in once with `kith login --account \(name)`; kith keeps the tokens fresh (docs/oauth2.md).")
            lines.append("[account.oauth2]")
            lines.append("provider = \"\(provider.rawValue)\"")
            if let clientID {
                lines.append("client_id = \"\(clientID)\"")
            } else {
                lines.append("# Your app registration's id: docs/oauth2.md says how to register one (a few minutes, once).")
                lines.append("# client_id = \"00000000-0000-0000-0000-000000000000\"")
            }
            if provider == .microsoft { lines.append("# tenant = \"organizations\"       # common (default), organizations or your tenant id") }
            if provider == .google { lines.append("# client_secret_file = \"google-client-secret\"   # Google's \"Desktop app\" clients have one") }
        } else {
            lines.append("# The first line of this file is the password (chmod 600); or password_command, password_env.")
            lines.append("password_file = \"\(passwordFile)\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The configuration `kith init` and `kith add` start from: the sample's explanations, nothing active.
public enum ConfigTemplate {
    public static let text = """
        # kith configuration. One [[account]] block per work mailbox, here or in accounts.d/*.toml next to
        # this file (`kith add you@work.example` writes one). `kith check-config` shows what kith understood;
        # the full commented sample is Config/kith.toml in kith's sources (/usr/share/doc/kith/ when packaged).
        # Unknown keys are errors.

        # [archive]
        # path = "archive.sqlite"          # default: $STATE_DIRECTORY, else ~/.local/state/kith/archive.sqlite
        # export_dir = "exports"           # final exports, one directory per account and day

        # Where notices go (closing mailboxes, sign-in needed), besides the log:
        # [notify]
        # command = ["/usr/local/bin/page-me"]
        # desktop = true
        # [notify.smtp]
        # url = "smtps://smtp.personal.example:465"
        # from = "kith@personal.example"
        # to = ["me@personal.example"]
        # password_command = "pass show personal-smtp"
        # [notify.webhook]
        # url = "https://ntfy.example/my-topic"

        # [[account]]
        # name = "acme"
        # url = "imaps://imap.acme.example"
        # username = "me@acme.example"
        # password_file = "acme.password"  # or password_command, password_env; or auth = "xoauth2" with [account.oauth2]
        # closes_on = 2027-03-31

        """

    /// Where a new configuration goes: `--config`, `$KITH_CONFIG`, an existing file kith would read, else
    /// /etc/kith/kith.toml for root and `$XDG_CONFIG_HOME/kith/kith.toml` (~/.config/...) for everyone else.
    public static func pathForNew(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit { return explicit }
        let found = ConfigLoader.defaultPath(environment: environment)
        if FileManager.default.fileExists(atPath: found) || environment["KITH_CONFIG"]?.isEmpty == false { return found }
        if getuid() == 0 { return "/etc/kith/kith.toml" }
        let home = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(environment["HOME"] ?? ".")/.config"
        return "\(home)/kith/kith.toml"
    }

    /// Every place kith looked for a configuration, with whether it is there, for the first-run message.
    public static func searched(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var places = [environment["KITH_CONFIG"].flatMap { $0.isEmpty ? nil : "$KITH_CONFIG (\($0))" } ?? "$KITH_CONFIG (not set)"]
        let home = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["HOME"].map { "\($0)/.config" }
        if let home { places.append("\(home)/kith/kith.toml") }
        places.append("/etc/kith/kith.toml")
        return places
    }
}
