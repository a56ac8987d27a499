import ArgumentParser
import KithConfig

/// `kith check-config`: validate and show what was understood, never a secret.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate the configuration and print what kith understood.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let config = try options.loadConfig()
        print("files: \(config.files.joined(separator: ", "))")
        print("archive: \(config.archive.path)")
        for account in config.accounts {
            print("account \"\(account.name)\" (\(account.location))")
            print("  url: \(account.url)")
            print("  username: \(account.username)")
            if account.auth.usesToken {
                print("  auth: \(account.auth.rawValue), token from: \(account.password)")
                if let oauth2 = account.oauth2 {
                    print("  oauth2: provider \(oauth2.provider.rawValue), flow \(oauth2.flow.rawValue), scopes \(oauth2.scopes.joined(separator: " "))")
                    print("  oauth2 token endpoint: \(oauth2.tokenURL)")
                }
            } else {
                print("  password from: \(account.password)")
            }
            print("  addresses: \(account.addresses.joined(separator: ", "))")
            if account.allowPlaintext { print("  allow_plaintext: true") }
            if let ca = account.tlsCAFile { print("  tls_ca_file: \(ca)") }
            if !account.folders.include.isEmpty { print("  folders.include: \(account.folders.include.joined(separator: ", "))") }
            if !account.folders.exclude.isEmpty { print("  folders.exclude: \(account.folders.exclude.joined(separator: ", "))") }
        }
        if let digest = config.digest { print("digest: every \(digest.everySeconds) s, \(digest.limit) people") }
        if let carddav = config.carddav {
            let selection = switch carddav.selection {
            case .minStrength(let minimum): "min_strength \(minimum)"
            case .top(let count): "top \(count)"
            }
            print("carddav: \(carddav.url) as \(carddav.username), password from: \(carddav.password), \(selection), sync \(carddav.sync)")
        }
        print("ok: \(config.accounts.count) accounts")
    }
}
