import Foundation

/// The pieces of a kith config that tests and the demo write for a local Dovecot.
public enum SampleConfig {
    /// Writes `password` (and a newline) to a 0600 file.
    public static func writePasswordFile(_ password: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TestSupportError("cannot write \(path)")
        }
    }

    /// One `[[account]]` block for a loopback Dovecot without TLS; `extra` lines go inside the block.
    /// `[notify]` with a shell `command`, `[notify.smtp]` to `smtpURL` (plain, for aiosmtpd) and a JSON `[notify.webhook]`.
    public static func notifyTables(command: String, smtpURL: String, webhookURL: String) -> String {
        """

        [notify]
        command = ["/bin/sh", "-c", \(String(reflecting: command))]

        [notify.smtp]
        url = "\(smtpURL)"
        from = "kith@personal.example"
        to = ["me@personal.example"]
        allow_plaintext = true

        [notify.webhook]
        url = "\(webhookURL)"
        format = "json"

        """
    }

    public static func accountBlock(name: String, url: String, username: String, passwordFile: String,
                                    addresses: [String], extra: String = "") -> String {
        """

        [[account]]
        name = "\(name)"
        url = "\(url)"
        username = "\(username)"
        password_file = "\(passwordFile)"
        addresses = [\(addresses.map { "\"\($0)\"" }.joined(separator: ", "))]
        allow_plaintext = true   # loopback only
        \(extra)

        """
    }
}
