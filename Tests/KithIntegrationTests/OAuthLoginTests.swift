import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithOAuth
import KithTestSupport

/// A Dovecot whose oauth2 passdb asks the local OAuth2 server about each token, and a kith config
/// whose account signs in through `[account.oauth2]` against that server.
private final class SignInAccount {
    let root: URL
    let oauth: OAuth2TestServer
    let dovecot: DovecotServer
    let mailbox: SampleMailbox
    let configPath: String
    let archivePath: String

    init(flow: OAuth2Settings.Flow, slowDownOnce: Bool = false, accessTTL: Int = 3600, extraConfig: String = "") throws {
        root = try DovecotServer.makeTemporaryDirectory(prefix: "kith-signin")
        oauth = try OAuth2TestServer(directory: root, username: "owner")
        oauth.control.slowDownOnce = slowDownOnce
        oauth.control.accessTTL = accessTTL
        dovecot = try DovecotServer(users: ["owner": "unused-password"], oauth2IntrospectionURL: oauth.introspectionURL)
        mailbox = SampleMailbox.generate(count: 30, seed: 113)
        try mailbox.write(to: dovecot.maildir())
        try dovecot.start()
        archivePath = root.appendingPathComponent("state/archive.sqlite").path
        configPath = root.appendingPathComponent("kith.toml").path
        try """
        [archive]
        path = "\(archivePath)"

        [[account]]
        name = "m365"
        url = "\(dovecot.url)"
        username = "owner"
        auth = "xoauth2"
        allow_plaintext = true
        addresses = [\(mailbox.ownerAddresses.map { "\"\($0)\"" }.joined(separator: ", "))]

        [account.oauth2]
        provider = "microsoft"
        client_id = "\(oauth.clientID)"
        flow = "\(flow.rawValue)"
        device_authorization_url = "\(oauth.baseURL)/devicecode"
        authorization_url = "\(oauth.baseURL)/authorize"
        token_url = "\(oauth.baseURL)/token"
        \(extraConfig)
        """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var tokenFile: String { root.appendingPathComponent("state/credentials/m365.json").path }

    func storedTokens() throws -> StoredTokens {
        try #require(try TokenStore(archivePath: archivePath).load(account: "m365"))
    }

    func config() throws -> Config { try ConfigLoader.load(path: configPath, environment: [:]) }

    /// `kith login` in the background; `act` plays the user with each new line of its output until it exits.
    func login(act: (String) throws -> Void) throws -> (status: Int32?, output: String) {
        let process = try BackgroundProcess([kithBinary, "login", "--account", "m365", "--config", configPath],
                                            environment: ProcessInfo.processInfo.environment.filter { $0.key != "DISPLAY" && $0.key != "WAYLAND_DISPLAY" },
                                            logFile: root.appendingPathComponent("login.log").path)
        var seen = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let lines = process.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            for line in lines.dropFirst(seen) { try act(line) }
            seen = max(seen, lines.count)
            if let status = process.waitForExit(timeout: 0.1) { return (status, process.output) }
        }
        return (nil, process.output)
    }

    /// Device sign-in in this process, approved as soon as the code is shown.
    func signInDirectly() throws {
        let settings = try #require(try config().account(named: "m365")?.oauth2)
        let server = oauth
        var flow = LoginFlow(client: OAuth2Client(settings: settings, clientSecret: nil)) { line in
            if let code = line.components(separatedBy: "enter the code ").dropFirst().first { try? server.approveDevice(userCode: code) }
        }
        flow.sleep = { _ in usleep(50_000) }
        let grant = try flow.device()
        try TokenStore(archivePath: archivePath).save(
            StoredTokens(refreshToken: try #require(grant.refreshToken), accessToken: grant.accessToken,
                         accessTokenExpiresAt: Int64(Date().timeIntervalSince1970) + Int64(grant.expiresIn)), account: "m365")
    }

    /// Every issued token that occurs in `text`.
    func leakedTokens(in text: String) -> [String] {
        oauth.issuedTokens.filter { text.contains($0) }
    }

    /// Every issued token found in a file under the archive's directory, other than the token file itself.
    func leakedTokensInFiles() throws -> [String] {
        var found: [String] = []
        let base = root.appendingPathComponent("state")
        let files = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String } ?? []
        for file in files where !file.hasPrefix("credentials") {
            guard let data = FileManager.default.contents(atPath: base.appendingPathComponent(file).path) else { continue }
            for token in oauth.issuedTokens where data.range(of: Data(token.utf8)) != nil { found.append("\(file): \(token.prefix(5))...") }
        }
        return found
    }
}

private func mode(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
}

@Suite(.serialized) struct OAuthLoginTests {
    @Test func deviceLoginThenHarvestsRefreshingAndRotatingTokens() throws {
        // Access tokens live 30 s: less than the 60 s kith wants left, so each harvest refreshes first.
        let account = try SignInAccount(flow: .device, slowDownOnce: true, accessTTL: 30)
        var userCode: String?
        var completeAddress: String?
        let login = try account.login { line in
            if let code = line.components(separatedBy: "enter the code ").dropFirst().first, userCode == nil {
                userCode = code
                try account.oauth.approveDevice(userCode: code)
            }
            if line.hasPrefix("or open ") { completeAddress = line }
        }
        #expect(login.status == 0, "\(login.output)")
        #expect(userCode?.count == 9, "\(login.output)")
        #expect(login.output.contains("open \(account.oauth.baseURL)/device and enter the code"))
        #expect(completeAddress?.contains("/device?user_code=\(userCode ?? "?")") == true)
        #expect(login.output.contains("Signed in"))
        let polls = account.oauth.events.filter { $0.grantType?.hasSuffix("device_code") == true }.map(\.result)
        #expect(polls.first == "slow_down" && polls.last == "granted", "\(polls)")
        #expect(account.leakedTokens(in: login.output).isEmpty, "kith login printed a token")
        #expect(mode(account.tokenFile) == 0o600)
        #expect(mode((account.tokenFile as NSString).deletingLastPathComponent) == 0o700)
        let first = try account.storedTokens()

        let harvest = try kith(["harvest"], config: account.configPath)
        #expect(harvest.status == 0, "\(harvest.errors)")
        let archive = try Archive(path: account.archivePath, create: false)
        try expectArchiveMatchesModel(archive, account.mailbox, account: "m365")
        let second = try account.storedTokens()
        #expect(second.refreshToken != first.refreshToken, "the rotated refresh token was saved")
        let introspected = account.oauth.events.filter { $0.endpoint == "introspect" }.compactMap(\.token)
        #expect(introspected == [second.accessToken], "the refreshed token, not the nearly expired one, was sent")

        // The old refresh token died when used; the next harvest works only with the rotated one.
        let settings = try #require(try account.config().account(named: "m365")?.oauth2)
        #expect(throws: OAuth2Error.self) { try OAuth2Client(settings: settings, clientSecret: nil).refresh(first.refreshToken) }
        let again = try kith(["harvest"], config: account.configPath)
        #expect(again.status == 0, "\(again.errors)")
        let refreshes = account.oauth.events.filter { $0.grantType == "refresh_token" }.map(\.result)
        #expect(refreshes == ["granted", "invalid_grant", "granted"], "\(refreshes)")

        // Nothing of the tokens in output, archive, status, exports or the final export.
        let status = try kith(["status", "--json"], config: account.configPath)
        let export = try kith(["export", "--format", "json"], config: account.configPath)
        let final = try kith(["final-export", "--account", "m365"], config: account.configPath)
        #expect(final.status == 0, "\(final.errors)")
        for text in [harvest.output, harvest.errors, again.output, again.errors, status.output, export.output, final.output, final.errors] {
            #expect(account.leakedTokens(in: text).isEmpty)
        }
        #expect(try account.leakedTokensInFiles().isEmpty)
    }

    @Test func loopbackLoginFollowsTheBrowserRedirect() throws {
        let account = try SignInAccount(flow: .loopback)
        var browserSaw = ""
        let login = try account.login { line in
            guard line.hasPrefix(account.oauth.baseURL + "/authorize?") else { return }
            for part in ["state=", "code_challenge=", "code_challenge_method=S256", "redirect_uri=http%3A%2F%2F127.0.0.1%3A"] {
                #expect(line.contains(part), "\(line)")
            }
            browserSaw = try account.oauth.get(line)
        }
        #expect(login.status == 0, "\(login.output)")
        #expect(browserSaw.hasPrefix("200") && browserSaw.contains("You can close this page"), "\(browserSaw)")
        #expect(account.oauth.events.contains { $0.grantType == "authorization_code" && $0.result == "granted" })
        #expect(account.leakedTokens(in: login.output).isEmpty)
        let harvest = try kith(["harvest"], config: account.configPath)
        #expect(harvest.status == 0, "\(harvest.errors)")
        try expectArchiveMatchesModel(try Archive(path: account.archivePath, create: false), account.mailbox, account: "m365")
    }

    /// Without a browser on this machine: the user opens the address elsewhere and pastes where it ended.
    @Test func loopbackLoginTakesAPastedAddressAndChecksItsState() throws {
        let account = try SignInAccount(flow: .loopback)
        let settings = try #require(try account.config().account(named: "m365")?.oauth2)
        let server = account.oauth
        for tamper in [false, true] {
            var pipe: [Int32] = [0, 0]
            #expect(Glibc.pipe(&pipe) == 0)
            defer { close(pipe[0]) }
            let writer = pipe[1]
            let flow = LoginFlow(client: OAuth2Client(settings: settings, clientSecret: nil)) { line in
                guard line.hasPrefix(server.baseURL + "/authorize?"), var landed = try? server.redirectTarget(of: line) else { return }
                if tamper { landed = landed.replacingOccurrences(of: "state=", with: "state=forged") }
                let pasted = Array("  \(landed)  \n".utf8)
                _ = pasted.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
                close(writer)
            }
            if tamper {
                #expect(throws: OAuth2Error.loginFailed("the redirect's state does not match this sign-in; it was not started by this kith login")) {
                    try flow.loopback(pasted: .init(descriptor: pipe[0]))
                }
            } else {
                let grant = try flow.loopback(pasted: .init(descriptor: pipe[0]))
                #expect(grant.refreshToken?.hasPrefix("rt-") == true)
            }
        }
        #expect(account.oauth.events.filter { $0.grantType == "authorization_code" }.map(\.result) == ["granted"], "a forged state is never exchanged")
    }

    @Test func aDeclinedDeviceSignInEndsWithAClearMessage() throws {
        let account = try SignInAccount(flow: .device)
        let settings = try #require(try account.config().account(named: "m365")?.oauth2)
        let server = account.oauth
        var flow = LoginFlow(client: OAuth2Client(settings: settings, clientSecret: nil)) { line in
            if let code = line.components(separatedBy: "enter the code ").dropFirst().first { try? server.approveDevice(userCode: code, decline: true) }
        }
        flow.sleep = { _ in usleep(50_000) }
        #expect(throws: OAuth2Error.loginFailed("sign-in was declined in the browser")) { try flow.device() }
        account.oauth.control.deviceExpiresIn = 0
        flow.say = { _ in }
        #expect(throws: OAuth2Error.loginFailed("the code expired before sign-in finished; run kith login again")) { try flow.device() }
    }

    @Test func anAccessTokenTheServerRefusesIsRefreshedOnce() throws {
        let account = try SignInAccount(flow: .device)
        try account.signInDirectly()
        var stored = try account.storedTokens()
        stored.accessToken = "at-unknown-to-the-server"
        try TokenStore(archivePath: account.archivePath).save(stored, account: "m365")
        let harvest = try kith(["harvest"], config: account.configPath)
        #expect(harvest.status == 0, "\(harvest.errors)")
        let fresh = try account.storedTokens()
        #expect(account.oauth.events.filter { $0.endpoint == "introspect" }.compactMap(\.token) == ["at-unknown-to-the-server", fresh.accessToken])
    }

    @Test func aRevokedTokenSaysSignInNeededAndKeepsTheTokenFile() throws {
        let account = try SignInAccount(flow: .device, accessTTL: 30)
        try account.signInDirectly()
        account.oauth.control.revoked = true
        let before = try account.storedTokens()
        let harvest = try kith(["harvest"], config: account.configPath)
        #expect(harvest.status != 0)
        #expect(harvest.errors.contains("sign-in needed") && harvest.errors.contains("kith login --account m365"), "\(harvest.errors)")
        #expect(harvest.errors.contains("AADSTS70008"), "the provider's reason is shown")
        #expect(account.leakedTokens(in: harvest.errors).isEmpty)
        #expect(try account.storedTokens() == before, "a refused refresh keeps what was stored")
        let status = try kith(["status"], config: account.configPath)
        #expect(status.output.contains("m365: sign-in needed"), "\(status.output)")
    }

    @Test func endpointFailuresAreRetriedAndTheTokensKept() throws {
        let account = try SignInAccount(flow: .device, accessTTL: 30)
        try account.signInDirectly()
        account.oauth.control.refreshFailures = 2
        var harvester = Harvester(archive: try Archive(path: account.archivePath), logger: quietLogger())
        harvester.tokenRetryDelays = [0.1, 0.1, 0.1]
        let report = harvester.harvest(try #require(try account.config().account(named: "m365")))
        #expect(report.error == nil, "\(report.summary)")
        #expect(account.oauth.events.filter { $0.grantType == "refresh_token" }.map(\.result) == ["503", "503", "granted"])
    }

    @Test func aDisabledUserSendsTheEarlyCutoffNoticeAtOnce() throws {
        let account = try SignInAccount(flow: .device, accessTTL: 30)
        let webhook = try RecordingHTTPServer(directory: account.root)
        try (try String(contentsOfFile: account.configPath, encoding: .utf8) + "\n[notify.webhook]\nurl = \"\(webhook.url)\"\n")
            .write(toFile: account.configPath, atomically: true, encoding: .utf8)
        try account.signInDirectly()
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        let messages = try Archive(path: account.archivePath, create: false).messageCount()

        account.oauth.control.disabled = true
        let socket = account.root.appendingPathComponent("notify.sock").path
        let notify = try NotifySocket(name: socket)
        let daemon = try BackgroundProcess([kithBinary, "daemon"], environment: [
            "KITH_CONFIG": account.configPath, "NOTIFY_SOCKET": socket, "PATH": "/usr/bin:/bin",
        ], logFile: account.root.appendingPathComponent("daemon.log").path)
        #expect(notify.receive(until: "READY=1", timeout: 20) != nil, "\(daemon.output)")
        let deadline = Date().addingTimeInterval(30)
        while webhook.requests.isEmpty, Date() < deadline { usleep(100_000) }
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0, "\(daemon.output)")

        let notices = try webhook.requests.map { try #require(try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any]) }
        #expect(notices.count == 1, "\(webhook.requests)")
        #expect(notices.first?["event"] as? String == "early-cutoff")
        #expect((notices.first?["message"] as? String)?.contains("disabled") == true)
        #expect(try Archive(path: account.archivePath, create: false).messageCount() == messages, "everything archived stays")
        let status = try kith(["status"], config: account.configPath)
        #expect(status.output.contains("m365: disabled"), "\(status.output)")
        #expect(account.leakedTokens(in: daemon.output).isEmpty)
    }
}
