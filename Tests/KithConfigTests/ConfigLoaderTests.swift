import Foundation
import Testing
@testable import KithConfig

/// Writes `main` (and drop-ins) to a fresh directory and loads it.
private func load(_ main: String, dropIns: [String: String] = [:], environment: [String: String] = [:]) throws -> (Config?, [String], String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("accounts.d"), withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("kith.toml").path
    try main.write(toFile: path, atomically: true, encoding: .utf8)
    for (name, text) in dropIns {
        try text.write(toFile: directory.appendingPathComponent("accounts.d/\(name)").path, atomically: true, encoding: .utf8)
    }
    do {
        return (try ConfigLoader.load(path: path, environment: environment), [], path)
    } catch let error as ConfigError {
        return (nil, error.problems.map(\.description), path)
    }
}

private let goodAccount = """
    [[account]]
    name = "acme"
    url = "imaps://imap.acme.example"
    username = "me@acme.example"
    password_env = "ACME_PW"
    """

@Suite struct ConfigLoaderTests {
    @Test func readsAGoodConfigWithDropIns() throws {
        let (config, problems, path) = try load("""
            [archive]
            path = "state/archive.sqlite"

            \(goodAccount)
            addresses = ["Me@Acme.example", "first.last@acme.example"]
            [account.folders]
            exclude = ["Archive/*"]
            """, dropIns: ["old.toml": """
            [[account]]
            name = "old"
            url = "imap://mail.old.example:143"
            username = "jdoe@old.example"
            password_command = "echo secret"
            """])
        #expect(problems == [])
        let loaded = try #require(config)
        #expect(loaded.archive.path == (path as NSString).deletingLastPathComponent + "/state/archive.sqlite")
        #expect(loaded.accounts.map(\.name) == ["acme", "old"])
        #expect(loaded.accounts[0].addresses == ["me@acme.example", "first.last@acme.example"])
        #expect(loaded.accounts[0].folders.exclude == ["Archive/*"])
        #expect(loaded.accounts[1].addresses == ["jdoe@old.example"], "the username stands in for missing addresses")
        #expect(loaded.accounts[1].password == .command("echo secret"))
        #expect(loaded.accounts[1].location.line == 1)
        #expect(loaded.accounts[0].intervalSeconds == 6 * 3600)
        #expect(loaded.archive.exportDirectory.hasSuffix("/state/exports"))
    }

    @Test(arguments: [
        ("\(goodAccount)\ncolour = \"blue\"", ":6: account \"acme\": colour: unknown key"),
        ("[[account]]\nname = \"..\"\nurl = \"imaps://x.example\"\nusername = \"u@x.example\"\npassword_env = \"P\"", ":2: account \"..\": name: \"..\" cannot name a directory of its own"),
        ("[[account]]\nname = \".\"\nurl = \"imaps://x.example\"\nusername = \"u@x.example\"\npassword_env = \"P\"", ":2: account \".\": name: \".\" cannot name a directory of its own"),
        ("\(goodAccount)\nallow_plaintext = \"yes\"", ":6: account \"acme\": allow_plaintext: expected true or false, found string"),
        ("[[account]]\nname = \"a\"\nurl = \"pop3://x.example\"\nusername = \"u@x.example\"\npassword_env = \"P\"", ":3: account \"a\": url: unsupported scheme"),
        ("\(goodAccount)\n\(goodAccount)", ":6: account \"acme\": name: duplicate account name (first defined at "),
        ("[[account]]\nname = \"a\"\nurl = \"imaps://x.example\"\nusername = \"u@x.example\"", ":1: account \"a\": no password source"),
        ("[[account]]\nname = \"a\"\nurl = \"imaps://x.example\"\nusername = \"u@x.example\"\npassword_env = \"P\"\npassword_file = \"/p\"", "account \"a\": password_file: only one password source may be set"),
        ("[[account]]\nname = \"a\"\nurl = \"imaps://x.example\"\nusername = \"u\"\npassword_env = \"P\"", ":1: account \"a\": missing \"addresses\""),
        ("[archive]\npath = 5", ":2: archive.path: expected a non-empty string"),
        ("[archive]\npath = \"x\"\nnoise = 1", ":3: archive.noise: unknown key"),
        ("[[account]]\nname = \"a\"\nurl = \"imaps://x.example\nusername = 1", ":3: TOML syntax"),
        ("\(goodAccount)\nfolders = { include = \"INBOX\" }", ":6: account \"acme\": folders.include: expected an array of strings"),
        ("[[account]]\nname = \"a\"\nurl = \"imaps://x.example\"\nusername = \"u@x.example\"\nauth = \"xoauth2\"", ":1: account \"a\": auth = \"xoauth2\" needs oauth2_token_command"),
        ("\(goodAccount)\nauth = \"kerberos\"", ":6: account \"acme\": auth: \"kerberos\" is not one of password, xoauth2, oauthbearer"),
        ("\(goodAccount)\noauth2_token_command = \"oama access me\"", ":6: account \"acme\": oauth2_token_command: only used with auth"),
        ("\(goodAccount)\ncloses_on = 2027-02-30", ":6: TOML syntax"),
        ("\(goodAccount)\ncloses_on = \"2027-03-31\"", ":6: account \"acme\": closes_on: expected a date such as 2027-03-31 (no quotes), found string"),
        ("\(goodAccount)\ncloses_on = 2027-03-31\nwarn_days = [30, \"7\"]", ":7: account \"acme\": warn_days: expected an array of positive whole numbers"),
        ("\(goodAccount)\nwarn_days = [3]", ":6: account \"acme\": warn_days: only used with closes_on"),
        ("\(goodAccount)\ninterval = \"6 hours\"", ":6: account \"acme\": interval: \"6 hours\" is not a duration"),
        ("[notify.webhook]\nurl = \"http://x\"\nformat = \"xml\"\n\n\(goodAccount)", ":3: notify.webhook.format: \"xml\" is not one of json, text, slack"),
        ("[notify]\npager = true\n\n\(goodAccount)", ":2: notify.pager: unknown key"),
        ("[[account]]\nname = \"bad name\"\nurl = \"imaps://x.example\"\nusername = \"u@x.example\"\npassword_env = \"P\"", ":2: account \"bad name\": name: use letters"),
        ("[digest]\nevery = \"weekly\"\n\n\(goodAccount)", ":2: digest.every: \"weekly\" is not a duration such as \"7d\""),
        ("[digest]\nlimit = 0\n\n\(goodAccount)", ":2: digest.limit: expected 1 to 1000, got 0"),
        ("[digest]\nhow_often = \"7d\"\n\n\(goodAccount)", ":2: digest.how_often: unknown key"),
        ("[carddav]\nurl = \"http://dav.example/book/\"\nusername = \"me\"\npassword_env = \"P\"\n\n\(goodAccount)",
         ":2: carddav.url: \"http://dav.example/book/\" must be https:// (plain http:// only to 127.0.0.1 or localhost)"),
        ("[carddav]\nurl = \"https://dav.example/book\"\nusername = \"me\"\npassword_env = \"P\"\n\n\(goodAccount)", ":2: carddav.url: the address book's URL ends with /"),
        ("[carddav]\nurl = \"https://dav.example/book/\"\nusername = \"me\"\npassword_env = \"P\"\nmin_strength = 10\ntop = 50\n\n\(goodAccount)",
         ":6: carddav.top: set min_strength or top, not both"),
        ("[carddav]\nurl = \"https://dav.example/book/\"\nusername = \"me\"\n\n\(goodAccount)", "carddav: missing a password source"),
    ])
    func reportsEachProblemWithFileLineAndKey(text: String, expected: String) throws {
        let (config, problems, path) = try load(text)
        #expect(config == nil)
        #expect(problems.contains { $0.hasPrefix(path) && $0.contains(expected) }, "got \(problems)")
    }

    @Test func digestAndCardDAVTablesAreRead() throws {
        let (config, problems, _) = try load("""
            [digest]
            every = "14d"
            limit = 5

            [carddav]
            url = "https://dav.example/addressbooks/me/contacts/"
            username = "me"
            password_env = "DAV_PW"
            top = 200
            sync = true

            \(goodAccount)
            """)
        #expect(problems.isEmpty, "\(problems)")
        #expect(config?.digest == DigestSettings(everySeconds: 14 * 86_400, limit: 5))
        #expect(config?.carddav == CardDAVSettings(url: "https://dav.example/addressbooks/me/contacts/", username: "me",
                                                   password: .environment("DAV_PW"), selection: .top(200), sync: true))
        let (defaults, _, _) = try load("[digest]\n[carddav]\nurl = \"https://dav.example/c/\"\nusername = \"me\"\npassword_env = \"P\"\nmin_strength = 12.5\n\n\(goodAccount)")
        #expect(defaults?.digest == DigestSettings(everySeconds: 7 * 86_400, limit: 10))
        #expect(defaults?.carddav?.selection == .minStrength(12.5) && defaults?.carddav?.sync == false)
    }

    @Test func oauthAccountsTakeATokenCommand() throws {
        let (config, problems, _) = try load("""
            [[account]]
            name = "m365"
            url = "imaps://outlook.office365.com"
            username = "me@corp.example"
            auth = "oauthbearer"
            oauth2_token_command = "oama access me@corp.example"
            """)
        #expect(problems == [])
        #expect(config?.accounts[0].auth == .oauthBearer)
        #expect(config?.accounts[0].password == .command("oama access me@corp.example"))
    }

    @Test func reportsAllProblemsAtOnce() throws {
        let (_, problems, _) = try load("[[account]]\nname = \"a\"\nurl = \"ftp://x\"\nusername = 3\nbogus = 1")
        #expect(problems.count >= 4, "\(problems)")
    }

    @Test func dropInProblemsNameTheDropInFile() throws {
        let (_, problems, _) = try load(goodAccount, dropIns: ["b.toml": "[archive]\npath = \"x\""])
        #expect(problems.contains { $0.contains("accounts.d/b.toml:1: archive: unknown key") }, "\(problems)")
    }

    @Test func passwordSourcesResolveAndFailClearly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-pw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("pw").path
        FileManager.default.createFile(atPath: file, contents: Data("s3cret\n".utf8), attributes: [.posixPermissions: 0o644])
        var warnings: [String] = []
        #expect(try PasswordSource.file(file).resolve { warnings.append($0) } == "s3cret")
        #expect(warnings.count == 1 && warnings[0].contains("chmod 600"))
        #expect(try PasswordSource.command("printf '  tok  \\n'").resolve() == "tok")
        #expect(try PasswordSource.environment("X").resolve(environment: ["X": "v"]) == "v")
        try "cred".write(toFile: directory.appendingPathComponent("acme").path, atomically: true, encoding: .utf8)
        #expect(try PasswordSource.credential("acme").resolve(environment: ["CREDENTIALS_DIRECTORY": directory.path]) == "cred")
        #expect(throws: PasswordError.self) { try PasswordSource.command("echo oops >&2; exit 3").resolve() }
        #expect(throws: PasswordError.self) { try PasswordSource.command("sleep 5").resolve(commandTimeoutSeconds: 1) }
        #expect(throws: PasswordError.self) { try PasswordSource.environment("MISSING").resolve(environment: [:]) }
        do {
            _ = try PasswordSource.command("echo oops >&2; exit 3").resolve()
        } catch let error as PasswordError {
            // The command's stderr is shown once (the harvester logs it) but is not part of what gets stored.
            #expect("\(error)".contains("status 3") && !"\(error)".contains("oops"))
            #expect(error.commandErrorOutput == "oops")
        }
        // The first line is the password; what follows is not part of it.
        FileManager.default.createFile(atPath: file, contents: Data("first-line\nsecond line\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(try PasswordSource.file(file).resolve() == "first-line")
    }
}
