import ArgumentParser
import Foundation
import KithArchive
import KithConfig
import KithMail
import KithOAuth

/// `kith login --account NAME`: the one browser sign-in an `[account.oauth2]` account needs; kith keeps
/// the tokens fresh afterwards.
struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in to an account's identity provider ([account.oauth2]) and keep its tokens.",
        discussion: """
        Microsoft accounts sign in with a device code by default: open the address printed and type the code.
        Google accounts sign in through a browser redirected to 127.0.0.1; without a browser on this machine,
        open the address elsewhere and paste the address the browser ended on. Tokens go to credentials/NAME.json
        (mode 0600) next to the archive and are never printed. See docs/oauth2.md.
        """)

    @OptionGroup var options: GlobalOptions

    @Option(help: "The account to sign in.")
    var account: String

    @Flag(help: "Do not open a browser; print the address only.")
    var noBrowser = false

    func run() throws {
        let config = try options.loadConfig()
        guard let target = config.account(named: account) else {
            printError("no account named \"\(account)\" in \(options.configPath)")
            throw ExitCode(2)
        }
        guard let settings = target.oauth2 else {
            printError("account \"\(account)\" has no [account.oauth2] table; kith login signs in only accounts that use it (docs/oauth2.md)")
            throw ExitCode(2)
        }
        try signIn(config: config, account: account, settings: settings, openBrowser: !noBrowser)
    }
}

/// The sign-in of `kith login` (and of `kith add`): runs the account's flow and saves the tokens; exits 1
/// with the reason when it fails.
func signIn(config: Config, account: String, settings: OAuth2Settings, openBrowser: Bool) throws {
    let store = TokenStore(archivePath: config.archive.path)
    do {
        let client = OAuth2Client(settings: settings, clientSecret: try OAuth2Client.resolveClientSecret(settings))
        // Unbuffered: through a pipe too, the user sees each line as it comes.
        var flow = LoginFlow(client: client) { line in FileHandle.standardOutput.write(Data((SafeText.lines(line) + "\n").utf8)) }
        let environment = ProcessInfo.processInfo.environment
        if openBrowser, environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil {
            flow.openBrowser = { address in
                _ = try? ChildProcess.startInBackground(["xdg-open", address], environment: environment, outputFile: "/dev/null")
            }
        }
        let grant = try flow.run()
        let tokens = StoredTokens(refreshToken: grant.refreshToken ?? "", accessToken: grant.accessToken,
                                  accessTokenExpiresAt: Int64(Date().timeIntervalSince1970) + Int64(grant.expiresIn), scope: grant.scope)
        try store.save(tokens, account: account)
        print("Signed in to \(settings.provider.rawValue) for account \"\(account)\"; tokens saved to \(store.path(account: account)) (mode 0600).")
        print("kith keeps them fresh from now on; run kith harvest --account \(account) to harvest now.")
    } catch let error as OAuth2Error {
        printError("account \"\(account)\": \(error)")
        throw ExitCode(1)
    } catch let error as PrivateFile.Failure {
        printError("account \"\(account)\": the tokens could not be saved: \(error)")
        throw ExitCode(1)
    }
}
