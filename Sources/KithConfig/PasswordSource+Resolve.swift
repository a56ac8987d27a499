import Foundation

/// Why a password could not be read; never contains the password.
public struct PasswordError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// What a failing `password_command` wrote to stderr: shown to the user once, never stored
    /// (it may hold more than an error, such as a prompt or part of a secret).
    public var commandErrorOutput: String?

    public init(description: String, commandErrorOutput: String? = nil) {
        self.description = description
        self.commandErrorOutput = commandErrorOutput
    }
}

extension PasswordSource {
    /// Reads the password now. `warn` receives advice such as a group-readable password file.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment,
                        commandTimeoutSeconds: Int = 30,
                        warn: (String) -> Void = { _ in }) throws -> String {
        switch self {
        case .file(let path):
            return try Self.readSecretFile(path, warn: warn)
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw PasswordError(description: "environment variable \(name) is not set")
            }
            return value
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw PasswordError(description: "password_credential \(name): CREDENTIALS_DIRECTORY is not set (systemd LoadCredential=)")
            }
            return try Self.readSecretFile("\(directory)/\(name)", warn: { _ in })
        case .signIn:
            throw PasswordError(description: "this account signs in with kith login; its token comes from the credentials directory")
        case .command(let command):
            let result: ChildProcess.Result
            do {
                result = try ChildProcess.run(["/bin/sh", "-c", command], environment: environment, timeoutSeconds: commandTimeoutSeconds)
            } catch {
                throw PasswordError(description: "password_command: \(error)")
            }
            guard result.status == 0 else {
                let detail = String(decoding: result.errorOutput.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw PasswordError(description: "password_command exited with status \(result.status)",
                                    commandErrorOutput: detail.isEmpty ? nil : detail)
            }
            let value = String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw PasswordError(description: "password_command printed nothing") }
            return value
        }
    }

    private static func readSecretFile(_ path: String, warn: (String) -> Void) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw PasswordError(description: "cannot read password file \(path)")
        }
        if info.st_mode & 0o077 != 0 {
            warn("password file \(path) is readable by group or others; chmod 600 it")
        }
        // The first line is the password (as the sample config says); a comment or a second secret may follow.
        let firstLine = data.prefix { $0 != 0x0A }
        let value = String(decoding: firstLine, as: UTF8.self).trimmingCharacters(in: .newlines)
        guard !value.isEmpty else { throw PasswordError(description: "password file \(path) is empty or its first line is") }
        return value
    }
}
