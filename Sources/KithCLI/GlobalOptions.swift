import ArgumentParser
import Foundation
import KithMail
import KithArchive
import KithConfig
import KithSetup
import Logging

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $KITH_CONFIG, then $XDG_CONFIG_HOME/kith/kith.toml, then /etc/kith/kith.toml).")
    var config: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "notice"

    var configPath: String { config ?? ConfigLoader.defaultPath() }

    /// Loads the configuration, or prints every problem and exits with status 2. Without any configuration
    /// file, says where kith looked and how to begin.
    func loadConfig() throws -> Config {
        if !FileManager.default.fileExists(atPath: configPath) {
            let looked = config.map { "no configuration file at \($0) (--config)" }
                ?? "no configuration file; looked at " + ConfigTemplate.searched().joined(separator: ", ")
            printError(looked + ". To begin: kith add you@work.example (finds your server and writes the account),"
                       + " or kith init (a commented configuration to fill in)")
            throw ExitCode(2)
        }
        do {
            return try ConfigLoader.load(path: configPath)
        } catch let error as ConfigError {
            for problem in error.problems { printError(problem.description) }
            throw ExitCode(2)
        }
    }

    /// Opens the configured archive for reading, or exits with one clear line.
    func openArchive(_ config: Config) throws -> Archive {
        do {
            return try Archive(path: config.archive.path, create: false)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }

    /// Takes the archive's writer lock and opens it, creating it if needed; or exits with one clear line.
    func openArchiveForWriting(_ config: Config) throws -> (ArchiveLock, Archive) {
        do {
            let lock = try ArchiveLock(archivePath: config.archive.path)
            return (lock, try Archive(path: config.archive.path))
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }

    func makeLogger() throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            printError("--log-level: unknown level \"\(logLevel)\"")
            throw ExitCode(2)
        }
        var logger = Logger(label: "kith") { _ in StderrLogHandler() }
        logger.logLevel = level
        return logger
    }
}

/// Writes one `kith: message` line to standard error, with server and mail text made safe.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("kith: \(SafeText.line(message))\n".utf8))
}

/// Standard output for everything kith prints: text from servers and mail passes `SafeText.lines`,
/// so no control or bidi character reaches a terminal raw. Output kith colours itself uses `Swift.print`.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(SafeText.lines(items.map { "\($0)" }.joined(separator: separator)), terminator: terminator)
}

/// `object` as indented JSON with sorted keys, the form every `--json` output uses.
func prettyJSON(_ object: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}
