import Foundation
import KithConfig
#if canImport(Glibc)
import Glibc
#endif

/// A private Dovecot (Debian's `dovecot-imapd`) on a loopback port, in a directory of its own.
///
/// Every test that needs IMAP starts one; it stops when released or on `stop()`.
public final class DovecotServer: @unchecked Sendable {
    public let root: URL
    public let port: Int
    /// With TLS: the plain `imap` port where STARTTLS is offered (`port` is then `imaps`).
    public let starttlsPort: Int
    public let users: [String: String]
    /// Set when the server listens with implicit TLS (`imaps`) and STARTTLS, using these files.
    public let tls: TLSFiles?
    private var running = false

    /// A certificate and key for the server, and the CA that signed them.
    public struct TLSFiles: Sendable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// When set, Dovecot also accepts XOAUTH2 and OAUTHBEARER, validating tokens at this RFC 7662 introspection URL.
    public let oauth2IntrospectionURL: String?
    public let personality: Personality

    /// Which server Dovecot is configured to look like.
    public enum Personality: Sendable {
        /// Dovecot as Debian ships it, with RFC 6154 roles on Sent, Junk, Trash, Drafts and Archive.
        case standard
        /// Exchange Online: its capability list (no SPECIAL-USE, LIST-STATUS or CONDSTORE), no role
        /// attributes at all; the folders are named in the mailbox's language by whoever writes them.
        case exchange
        /// Gmail: `[Gmail]/All Mail` carries `\All`, and the other `[Gmail]/` folders their roles.
        case gmail
    }

    /// Exchange Online's post-login capabilities, as it advertises them.
    public static let exchangeCapabilities = "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+"

    public init(users: [String: String] = ["owner": "owner-secret-pw"], tls: TLSFiles? = nil, root: URL? = nil,
                oauth2IntrospectionURL: String? = nil, personality: Personality = .standard) throws {
        self.users = users
        self.personality = personality
        self.tls = tls
        self.oauth2IntrospectionURL = oauth2IntrospectionURL
        self.root = try root ?? Self.makeTemporaryDirectory(prefix: "kith-dovecot")
        port = try Self.freeLoopbackPort()
        var second = port
        while tls != nil && second == port { second = try Self.freeLoopbackPort() }
        starttlsPort = second
        try FileManager.default.createDirectory(at: self.root.appendingPathComponent("mail"), withIntermediateDirectories: true)
        try writeConfiguration()
    }

    deinit { stop() }

    /// Leaves the server running after this object is released (the demo keeps it for `kith-sample stop`).
    public func detach() { running = false }

    /// Stops the Dovecot whose state lives under `root`, if one runs.
    public static func stop(root: URL) {
        let pidFile = root.appendingPathComponent("run/master.pid").path
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while isAlive(pid), Date() < deadline { usleep(20_000) }
    }

    /// The Maildir of `user` (INBOX); other folders are `.Name` directories inside it.
    public func maildir(_ user: String = "owner") -> URL { root.appendingPathComponent("mail/\(user)") }

    public var url: String { tls == nil ? "imap://127.0.0.1:\(port)" : "imaps://localhost:\(port)" }
    public var starttlsURL: String { "imap://localhost:\(starttlsPort)" }

    public func start() throws {
        try Shell.run("/bin/chown", ["-R", "mail:mail", root.appendingPathComponent("mail").path])
        try Shell.run("/usr/sbin/dovecot", ["-c", configPath])
        running = true
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if Self.canConnect(port: port) { return }
            usleep(50_000)
        }
        throw TestSupportError("dovecot did not listen on port \(port); log: \(log)")
    }

    public func stop() {
        guard running else { return }
        running = false
        Self.stop(root: root)
    }

    /// Makes files written since the last `start()` belong to the mail user again.
    public func fixOwnership() throws {
        try Shell.run("/bin/chown", ["-R", "mail:mail", root.appendingPathComponent("mail").path])
    }

    public var log: String { (try? String(contentsOfFile: root.appendingPathComponent("dovecot.log").path, encoding: .utf8)) ?? "" }

    private var configPath: String { root.appendingPathComponent("dovecot.conf").path }

    private func writeConfiguration() throws {
        let base = root.path
        let passwd = users.sorted { $0.key < $1.key }.map { "\($0.key):{PLAIN}\($0.value)::::::\n" }.joined()
        try passwd.write(toFile: "\(base)/passwd", atomically: true, encoding: .utf8)
        let sslSection: String
        if let tls {
            sslSection = """
            ssl = yes
            ssl_cert = <\(tls.certificate)
            ssl_key = <\(tls.key)
            """
        } else {
            sslSection = "ssl = no"
        }
        var oauth2Section = ""
        if let introspection = oauth2IntrospectionURL {
            try """
            introspection_mode = post
            introspection_url = \(introspection)
            username_attribute = username
            active_attribute = active
            active_value = true
            force_introspection = yes

            """.write(toFile: "\(base)/oauth2.conf", atomically: true, encoding: .utf8)
            oauth2Section = """
            passdb {
              driver = oauth2
              mechanisms = xoauth2 oauthbearer
              args = \(base)/oauth2.conf
            }
            """
        }
        let config = """
        protocols = imap
        listen = 127.0.0.1
        base_dir = \(base)/run
        state_dir = \(base)/state
        log_path = \(base)/dovecot.log
        \(sslSection)
        disable_plaintext_auth = no
        auth_mechanisms = plain login\(oauth2IntrospectionURL == nil ? "" : " xoauth2 oauthbearer")
        default_login_user = dovenull
        default_internal_user = dovecot
        default_internal_group = dovecot
        first_valid_uid = 8
        mail_location = maildir:\(base)/mail/%u
        \(oauth2Section)
        passdb {
          driver = passwd-file
          args = scheme=PLAIN username_format=%u \(base)/passwd
        }
        userdb {
          driver = static
          args = uid=mail gid=mail home=\(base)/mail/%u
        }
        service anvil {
          chroot =
        }
        service imap-login {
          chroot =
          inet_listener imap {
            address = 127.0.0.1
            port = \(starttlsPort)
          }
          inet_listener imaps {
            address = 127.0.0.1
            port = \(tls == nil ? 0 : port)
            ssl = yes
          }
        }
        namespace inbox {
          inbox = yes
          separator = /
        \(Self.roles(personality))
        }
        \(personality == .exchange ? "imap_capability = \(Self.exchangeCapabilities)" : "")

        """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(base, 0o755)
    }

    /// The namespace's `mailbox` blocks giving folders their RFC 6154 roles.
    private static func roles(_ personality: Personality) -> String {
        let roles: [(String, String)]
        switch personality {
        case .standard: roles = [("Sent", "\\Sent"), ("Junk", "\\Junk"), ("Trash", "\\Trash"), ("Drafts", "\\Drafts"), ("Archive", "\\Archive")]
        case .exchange: roles = []
        case .gmail:
            roles = [("[Gmail]/All Mail", "\\All"), ("[Gmail]/Sent Mail", "\\Sent"), ("[Gmail]/Drafts", "\\Drafts"),
                     ("[Gmail]/Spam", "\\Junk"), ("[Gmail]/Trash", "\\Trash"), ("[Gmail]/Starred", "\\Flagged")]
        }
        return roles.map { "  mailbox \"\($0.0)\" {\n    special_use = \($0.1)\n  }" }.joined(separator: "\n")
    }

    /// Whether `pid` still runs; a zombie (which a container's init may never reap) counts as gone.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }

    public static func makeTemporaryDirectory(prefix: String) throws -> URL {
        var template = Array((NSTemporaryDirectory() + "/\(prefix).XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSupportError("mkdtemp failed") }
        return URL(fileURLWithPath: String(cString: made))
    }

    public static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw TestSupportError("no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A failure of the test machinery itself (not of the code under test).
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs helper programs for the test machinery.
public enum Shell {
    /// Runs a program to completion; a non-zero exit is an error carrying its output.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let result = try ChildProcess.run([executable] + arguments, environment: environment, timeoutSeconds: 120)
        let text = String(decoding: result.output + result.errorOutput, as: UTF8.self)
        guard result.status == 0 else {
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(text)")
        }
        return text
    }
}
