import Foundation
import Testing
@testable import KithConfig

private func loadOAuth(_ table: String, accountExtra: String = "") throws -> (AccountConfig?, [String]) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kith-oauth-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("kith.toml").path
    try """
    [[account]]
    name = "m365"
    url = "imaps://outlook.office365.com"
    username = "me@acme.example"
    \(accountExtra)
    [account.oauth2]
    \(table)
    """.write(toFile: path, atomically: true, encoding: .utf8)
    do {
        return (try ConfigLoader.load(path: path, environment: [:]).accounts.first, [])
    } catch let error as ConfigError {
        // Drop the directory so expectations read "file:line: ...".
        return (nil, error.problems.map { $0.description.replacingOccurrences(of: path, with: "kith.toml") })
    }
}

@Suite struct OAuth2ConfigTests {
    @Test func microsoftDefaults() throws {
        let (account, problems) = try loadOAuth("provider = \"microsoft\"\nclient_id = \"app-1\"")
        #expect(problems == [])
        let settings = try #require(account?.oauth2)
        #expect(account?.auth == .xoauth2, "an oauth2 table implies xoauth2")
        #expect(account?.password == .signIn)
        #expect(settings.flow == .device)
        #expect(settings.scopes == ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"])
        #expect(settings.tokenURL == "https://login.microsoftonline.com/common/oauth2/v2.0/token")
        #expect(settings.deviceAuthorizationURL == "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode")
    }

    @Test func googleDefaultsAndATenantForMicrosoft() throws {
        let (google, problems) = try loadOAuth("provider = \"google\"\nclient_id = \"x.apps.googleusercontent.com\"\nclient_secret_file = \"secret.txt\"")
        #expect(problems == [])
        #expect(google?.oauth2?.flow == .loopback)
        #expect(google?.oauth2?.scopes == ["https://mail.google.com/"])
        if case .file(let path)? = google?.oauth2?.clientSecret { #expect(path.hasPrefix("/") && path.hasSuffix("/secret.txt")) } else { Issue.record("no secret file") }
        let (microsoft, _) = try loadOAuth("provider = \"microsoft\"\nclient_id = \"a\"\ntenant = \"organizations\"\nflow = \"loopback\"")
        #expect(microsoft?.oauth2?.authorizationURL == "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize")
        #expect(microsoft?.oauth2?.flow == .loopback)
    }

    @Test(arguments: [
        ("provider = \"microsoft\"\nclient_id = \"a\"\ncolour = \"blue\"", "kith.toml:9: account \"m365\": oauth2.colour: unknown key"),
        ("provider = \"yahoo\"\nclient_id = \"a\"", "kith.toml:7: account \"m365\": oauth2.provider: \"yahoo\" is not one of microsoft, google, custom"),
        ("provider = \"microsoft\"", "kith.toml:6: account \"m365\": oauth2: missing required key \"client_id\""),
        ("provider = \"microsoft\"\nclient_id = 42", "kith.toml:8: account \"m365\": oauth2.client_id: expected a string, found integer"),
        ("provider = \"custom\"\nclient_id = \"a\"\nflow = \"device\"", "kith.toml:6: account \"m365\": oauth2.token_url: provider = \"custom\" needs token_url"),
        ("provider = \"custom\"\nclient_id = \"a\"\ntoken_url = \"http://idp.example/token\"\ndevice_authorization_url = \"https://idp.example/d\"",
         "kith.toml:9: account \"m365\": oauth2.token_url: \"http://idp.example/token\" must be https:// (plain http:// only to 127.0.0.1 or localhost)"),
        ("provider = \"google\"\nclient_id = \"a\"\nflow = \"device\"",
         "kith.toml:9: account \"m365\": oauth2.flow: Google does not allow the Gmail scope in the device flow; use flow = \"loopback\" (the default)"),
        ("provider = \"google\"\nclient_id = \"a\"\ntenant = \"x\"", "kith.toml:9: account \"m365\": oauth2.tenant: only used with provider = \"microsoft\""),
        ("provider = \"microsoft\"\nclient_id = \"a\"\nclient_secret = \"s\"\nclient_secret_file = \"f\"",
         "kith.toml:10: account \"m365\": oauth2.client_secret_file: set client_secret or client_secret_file, not both"),
    ])
    func tableProblemsNameTheirLine(table: String, expected: String) throws {
        let (_, problems) = try loadOAuth(table)
        #expect(problems == [expected])
    }

    @Test func oneTokenSourceOnly() throws {
        let (_, both) = try loadOAuth("provider = \"microsoft\"\nclient_id = \"a\"", accountExtra: "oauth2_token_command = \"pizauth show m365\"")
        #expect(both == ["kith.toml:5: account \"m365\": oauth2_token_command: set [account.oauth2] or oauth2_token_command, not both"])
        let (_, password) = try loadOAuth("provider = \"microsoft\"\nclient_id = \"a\"", accountExtra: "auth = \"password\"\npassword_env = \"PW\"")
        #expect(password.contains("kith.toml:7: account \"m365\": oauth2: only used with auth = \"xoauth2\" or \"oauthbearer\""), "\(password)")
    }
}
