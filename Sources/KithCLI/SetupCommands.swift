import ArgumentParser
import Foundation
import KithArchive
import KithConfig
import KithSetup

/// `kith add ADDRESS`: a new job in one command.
struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Find the mail server of a work address, write its account file, and sign in.",
        discussion: """
        Tries, in order: a built-in table of the big providers; the domain's MX records (Microsoft 365, Google
        Workspace, ...); RFC 6186 SRV records; Mozilla-style autoconfig over HTTPS; otherwise asks for --url.
        Writes accounts.d/NAME.toml next to the configuration (creating that from the commented template if
        needed), never over an existing file, checks it, and runs kith login for Microsoft and Google accounts.
        """)

    @Argument(help: "Your address in the new job.")
    var address: String

    @Option(help: "The account's name (default: the domain's first label).")
    var name: String?

    @Option(help: "Your last day (YYYY-MM-DD), when you know it.")
    var closesOn: String?

    @Option(help: "The IMAP server (imaps://host[:port]) when kith cannot find it.")
    var url: String?

    @Option(help: "Your OAuth2 app registration's id (docs/oauth2.md), for Microsoft and Google accounts.")
    var clientId: String?

    @Flag(help: "Do not sign in now.")
    var noLogin = false

    @Option(help: "Configuration file (default: $KITH_CONFIG, an existing ~/.config/kith/kith.toml or /etc/kith/kith.toml).")
    var config: String?

    func run() throws {
        let address = self.address.trimmingCharacters(in: .whitespaces)
        guard address.contains("@"), !address.hasPrefix("@"), !address.hasSuffix("@") else {
            printError("\(address) is not an e-mail address")
            throw ExitCode(2)
        }
        let name = self.name ?? AccountFile.defaultName(for: address)
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }), name != ".", name != ".." else {
            printError("--name \(name): use letters, digits, \".\", \"_\" or \"-\"")
            throw ExitCode(2)
        }
        if let closesOn, closesOn.split(separator: "-").count != 3 || Int(closesOn.prefix(4)) == nil {
            printError("--closes-on \(closesOn): expected a date such as 2027-03-31")
            throw ExitCode(2)
        }
        let configPath = ConfigTemplate.pathForNew(explicit: config)
        let directory = (configPath as NSString).deletingLastPathComponent
        let accountPath = "\(directory)/accounts.d/\(name).toml"
        guard !FileManager.default.fileExists(atPath: accountPath) else {
            printError("\(accountPath) exists already; kith add never overwrites an account file (choose another --name)")
            throw ExitCode(2)
        }

        let server = try find(address)
        print("found \(server.url) by \(server.foundBy)\(server.provider.map { " (\($0))" } ?? "")")
        if !FileManager.default.fileExists(atPath: configPath) {
            try write(ConfigTemplate.text, to: configPath, what: "configuration")
            print("wrote \(configPath) from the commented template")
        }
        var clientID = clientId
        if clientID == nil, let provider = server.oauth2, let existing = try? ConfigLoader.load(path: configPath) {
            // Another job with the same provider: the same app registration serves it.
            clientID = existing.accounts.compactMap(\.oauth2).first { $0.provider == provider }?.clientID
        }
        let file = AccountFile(name: name, address: address, server: server, closesOn: closesOn, clientID: clientID,
                               passwordFile: "\(directory)/\(name).password")
        try PrivateFile.makeDirectory("\(directory)/accounts.d")
        try write(file.text, to: accountPath, what: "account file")
        print("wrote \(accountPath)")

        let loaded: Config
        do {
            loaded = try ConfigLoader.load(path: configPath)
        } catch let error as ConfigError {
            for problem in error.problems { printError(problem.description) }
            if server.oauth2 != nil, clientID == nil {
                print("next: set client_id in \(accountPath) (docs/oauth2.md says how to register an app), then kith login --account \(name)")
                return
            }
            throw ExitCode(2)
        }
        print("check-config: ok (\(loaded.accounts.count) account\(loaded.accounts.count == 1 ? "" : "s"))")
        if let settings = loaded.account(named: name)?.oauth2 {
            if noLogin {
                print("next: kith login --account \(name)")
            } else {
                try signIn(config: loaded, account: name, settings: settings, openBrowser: true)
            }
        } else {
            print("next: put the password in \(file.passwordFile) (first line; chmod 600)")
        }
        print("then: systemctl reload kith (the daemon), or kith harvest --account \(name)")
    }

    private func find(_ address: String) throws -> DiscoveredServer {
        if let url {
            guard url.lowercased().hasPrefix("imaps://") || url.lowercased().hasPrefix("imap://") else {
                printError("--url \(url): use imaps:// or imap://")
                throw ExitCode(2)
            }
            return DiscoveredServer(url: url, oauth2: nil, provider: nil, foundBy: "--url")
        }
        var discovery = ServerDiscovery()
        let found = discovery.discover(address: address)
        for step in discovery.steps { print("  \(step)") }
        guard let found else {
            printError("could not find the mail server of \(address); give it with --url imaps://imap.example.com")
            throw ExitCode(2)
        }
        return found
    }

    private func write(_ text: String, to path: String, what: String) throws {
        try writePrivately(text, to: path, what: what)
    }
}

/// Writes `text` to a new 0600 file (and its 0700 directories), or exits 1 naming the file.
func writePrivately(_ text: String, to path: String, what: String) throws {
    do {
        try PrivateFile.makeDirectory((path as NSString).deletingLastPathComponent)
        try PrivateFile.write(Array(text.utf8), to: path)
    } catch {
        printError("cannot write the \(what) \(path): \(error)")
        throw ExitCode(1)
    }
}

/// `kith init`: a commented configuration to fill in, with no active account.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented configuration with no active account (kith add writes accounts).")

    @Option(help: "Where to write it (default: ~/.config/kith/kith.toml, /etc/kith/kith.toml for root).")
    var config: String?

    func run() throws {
        let path = ConfigTemplate.pathForNew(explicit: config)
        guard !FileManager.default.fileExists(atPath: path) else {
            printError("\(path) exists already; kith init never overwrites it")
            throw ExitCode(2)
        }
        try writePrivately(ConfigTemplate.text, to: path, what: "configuration")
        print("wrote \(path); add a job with kith add you@work.example")
    }
}
