import Foundation
import TOMLKit

/// Reads the main configuration file and its drop-in directory, decodes them, and validates everything.
public enum ConfigLoader {
    /// The file to use when no `--config` is given: `$KITH_CONFIG`, then `$XDG_CONFIG_HOME/kith/kith.toml`
    /// (or `~/.config/kith/kith.toml`) when it exists, then `/etc/kith/kith.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["KITH_CONFIG"], !explicit.isEmpty { return explicit }
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].map { "\($0)/.config" }
        if let configHome {
            let candidate = "\(configHome)/kith/kith.toml"
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return "/etc/kith/kith.toml"
    }

    /// Loads `path` and every `accounts.d/*.toml` beside it (in name order); throws `ConfigError` listing all problems.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Config {
        var decoder = ConfigDecoder(environment: environment)
        guard let mainText = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(location: SourceLocation(file: path, line: 0), message: "cannot read the configuration file")])
        }
        decoder.decodeMain(text: mainText, file: path)
        let dropInDirectory = (path as NSString).deletingLastPathComponent + "/accounts.d"
        let dropIns = ((try? FileManager.default.contentsOfDirectory(atPath: dropInDirectory)) ?? [])
            .filter { $0.hasSuffix(".toml") }
            .sorted()
            .map { "\(dropInDirectory)/\($0)" }
        for file in dropIns {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                decoder.problems.append(ConfigProblem(location: SourceLocation(file: file, line: 0), message: "cannot read this drop-in file"))
                continue
            }
            decoder.decodeDropIn(text: text, file: file)
        }
        decoder.validateAcrossFiles()
        guard decoder.problems.isEmpty else { throw ConfigError(problems: decoder.problems) }
        return Config(archive: decoder.archive(baseDirectory: (path as NSString).deletingLastPathComponent),
                      accounts: decoder.accounts, notify: decoder.notify, files: [path] + dropIns, digest: decoder.digest, carddav: decoder.carddav)
    }
}
