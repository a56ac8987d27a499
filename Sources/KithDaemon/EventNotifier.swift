import Foundation
import KithConfig
import KithIMAP
import Logging

/// A message for the user about one account.
public struct AccountNotice: Sendable, Equatable {
    public var account: String
    /// `warning`, `final-export`, `closed`, `early-cutoff` or `sign-in-needed`.
    public var event: String
    public var daysLeft: Int?
    public var message: String
    public var exportPath: String?

    public init(account: String, event: String, daysLeft: Int?, message: String, exportPath: String? = nil) {
        self.account = account
        self.event = event
        self.daysLeft = daysLeft
        self.message = message
        self.exportPath = exportPath
    }
}

/// Sends notices to every configured channel, and always to the log at warning level.
/// A failing channel is retried, then reported; it never stops the caller. Blocking: call off the cooperative pool.
public struct EventNotifier: Sendable {
    public let settings: NotifySettings
    public var environment: [String: String]
    public var retryDelays: [Double] = [1, 3]
    private let logger: Logger

    public init(settings: NotifySettings, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = settings
        self.logger = logger
        self.environment = environment
    }

    /// Returns the channels that failed after their retries.
    @discardableResult
    public func send(_ notice: AccountNotice) -> [String] {
        logger.warning("\(notice.message)", metadata: ["account": "\(notice.account)", "event": "\(notice.event)"])
        var failed: [String] = []
        if let smtp = settings.smtp, !attempt("smtp", { try sendMail(notice, smtp) }) { failed.append("smtp") }
        if let webhook = settings.webhook, !attempt("webhook", { try post(notice, webhook) }) { failed.append("webhook") }
        if let command = settings.command, !attempt("command", { try run(notice, command) }) { failed.append("command") }
        if settings.desktop, environment["DBUS_SESSION_BUS_ADDRESS"] != nil,
           !attempt("desktop", { try run(notice, ["notify-send", "--urgency=critical", "kith: \(notice.account)"], body: notice.message) }) {
            failed.append("desktop")
        }
        return failed
    }

    private func attempt(_ channel: String, _ body: () throws -> Void) -> Bool {
        for (index, delay) in ([0] + retryDelays).enumerated() {
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            do {
                try body()
                return true
            } catch {
                logger.error("notification channel \(channel) failed (attempt \(index + 1)): \(error)")
            }
        }
        return false
    }

    private func sendMail(_ notice: AccountNotice, _ smtp: SMTPSettings) throws {
        var body = notice.message
        if let path = notice.exportPath { body += "\n\nExport: \(path)" }
        try sendMail(subject: "kith: \(notice.account): \(Self.subject(notice))", plain: body, html: nil, smtp)
    }

    /// A UTF-8 mail through libcurl's SMTP: plain text, or plain text and HTML as multipart/alternative.
    private func sendMail(subject: String, plain: String, html: String?, _ smtp: SMTPSettings) throws {
        let password = try smtp.password.map { try Secret($0.resolve(environment: environment)) }
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, d MMM yyyy HH:mm:ss Z"
        let domain = smtp.from.split(separator: "@").last.map(String.init) ?? "localhost"
        var lines = [
            "From: kith <\(smtp.from)>",
            "To: " + smtp.to.joined(separator: ", "),
            "Subject: \(subject)",
            "Date: \(date.string(from: Date()))",
            "Message-ID: <\(UUID().uuidString.lowercased())@\(domain)>",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
        ]
        let text = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", plain]
        if let html {
            let boundary = "kith-" + UUID().uuidString.lowercased()
            lines += ["Content-Type: multipart/alternative; boundary=\"\(boundary)\"", "", "--\(boundary)"] + text
            lines += ["--\(boundary)", "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", html, "--\(boundary)--"]
        } else {
            lines += text
        }
        let message = lines.joined(separator: "\r\n").replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            .replacingOccurrences(of: "\r\n.", with: "\r\n..") + "\r\n"
        try CurlTransfer.sendMail(url: smtp.url, from: smtp.from, recipients: smtp.to, username: smtp.username, password: password,
                                  caFile: smtp.tlsCAFile, allowPlaintext: smtp.allowPlaintext, message: Array(message.utf8))
    }

    /// Sends a digest of fading relationships to every channel; returns the channels that failed after their retries.
    @discardableResult
    public func send(_ digest: FadingDigest) -> [String] {
        logger.notice("digest: \(digest.subject)", metadata: ["event": "digest"])
        var failed: [String] = []
        if let smtp = settings.smtp, !attempt("smtp", { try sendMail(subject: "kith: \(digest.subject)", plain: digest.text, html: digest.html, smtp) }) {
            failed.append("smtp")
        }
        if let webhook = settings.webhook, !attempt("webhook", { try post(digest, webhook) }) { failed.append("webhook") }
        if let command = settings.command, !attempt("command", { try run(digest, command) }) { failed.append("command") }
        if settings.desktop, environment["DBUS_SESSION_BUS_ADDRESS"] != nil,
           !attempt("desktop", { try runChecked(["notify-send", "kith: \(digest.subject)", digest.text], environment: environment) }) {
            failed.append("desktop")
        }
        return failed
    }

    private func post(_ digest: FadingDigest, _ webhook: WebhookSettings) throws {
        try post(webhook, text: digest.text, slack: "kith: \(digest.subject)\n\(digest.text)", json: digest.jsonObject)
    }

    /// Posts in the webhook's format: the plain text, a Slack message, or the JSON object with sorted keys.
    private func post(_ webhook: WebhookSettings, text: String, slack: String, json: [String: Any]) throws {
        let body: [UInt8]
        let type: String
        switch webhook.format {
        case .text:
            body = Array(text.utf8)
            type = "text/plain; charset=utf-8"
        case .slack:
            body = try JSONSerialization.data(withJSONObject: ["text": slack]).map { $0 }
            type = "application/json"
        case .json:
            body = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).map { $0 }
            type = "application/json"
        }
        let status = try CurlTransfer.post(url: webhook.url, body: body, contentType: type)
        guard (200..<300).contains(status) else { throw NotifyError(description: "webhook answered HTTP \(status)") }
    }

    /// The command gets KITH_EVENT=digest and the digest as JSON in a private file named by KITH_DIGEST_FILE, removed afterwards.
    private func run(_ digest: FadingDigest, _ argv: [String]) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kith-digest-\(UUID().uuidString).json").path
        let data = try JSONSerialization.data(withJSONObject: digest.jsonObject, options: [.prettyPrinted, .sortedKeys])
        let descriptor = open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw NotifyError(description: "cannot write \(file): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        defer { unlink(file) }
        guard written == data.count else { throw NotifyError(description: "cannot write \(file)") }
        var env = environment
        env["KITH_EVENT"] = "digest"
        env["KITH_DIGEST_FILE"] = file
        env["KITH_MESSAGE"] = digest.text
        try runChecked(argv, environment: env)
    }

    private func runChecked(_ argv: [String], environment env: [String: String]) throws {
        let result = try ChildProcess.run(argv, environment: env, timeoutSeconds: 30)
        guard result.status == 0 else { throw NotifyError(description: "\(argv[0]) exited with status \(result.status)") }
    }

    private func post(_ notice: AccountNotice, _ webhook: WebhookSettings) throws {
        let object: [String: Any] = [
            "account": notice.account, "event": notice.event, "days_left": notice.daysLeft ?? NSNull(),
            "message": notice.message, "export_path": notice.exportPath ?? NSNull(),
        ]
        try post(webhook, text: notice.message, slack: "kith: \(notice.message)", json: object)
    }

    private func run(_ notice: AccountNotice, _ argv: [String], body: String? = nil) throws {
        var env = environment
        env["KITH_ACCOUNT"] = notice.account
        env["KITH_EVENT"] = notice.event
        env["KITH_DAYS_LEFT"] = notice.daysLeft.map(String.init) ?? ""
        env["KITH_MESSAGE"] = notice.message
        env["KITH_EXPORT_PATH"] = notice.exportPath ?? ""
        try runChecked(argv + (body.map { [$0] } ?? []), environment: env)
    }

    static func subject(_ notice: AccountNotice) -> String {
        switch notice.event {
        case DeprovisionCountdown.warningEvent: "mailbox closes in \(notice.daysLeft ?? 0) days"
        case DeprovisionCountdown.exportEvent: "final export ready"
        case DeprovisionCountdown.closedEvent: "mailbox closed"
        case DeprovisionCountdown.signInEvent: "sign-in needed"
        default: "mailbox may have been closed early"
        }
    }
}

/// A notification channel failed.
struct NotifyError: Error, CustomStringConvertible {
    var description: String
}
