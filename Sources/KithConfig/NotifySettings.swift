/// `[notify]`: where deprovisioning warnings and export reports go, besides the log (any combination).
public struct NotifySettings: Sendable, Equatable {
    public var smtp: SMTPSettings?
    public var webhook: WebhookSettings?
    /// An argv run once per event, with the event in `KITH_*` environment variables.
    public var command: [String]?
    /// `notify-send` when a desktop session bus is there (the user unit).
    public var desktop: Bool

    public init(smtp: SMTPSettings? = nil, webhook: WebhookSettings? = nil, command: [String]? = nil, desktop: Bool = false) {
        self.smtp = smtp
        self.webhook = webhook
        self.command = command
        self.desktop = desktop
    }
}

/// `[notify.smtp]`: mail to the user's personal address through libcurl's SMTP.
public struct SMTPSettings: Sendable, Equatable {
    /// `smtps://host:465` or `smtp://host:587` (STARTTLS required unless `allow_plaintext`).
    public var url: String
    public var from: String
    public var to: [String]
    public var username: String?
    public var password: PasswordSource?
    public var allowPlaintext: Bool
    public var tlsCAFile: String?

    public init(url: String, from: String, to: [String], username: String? = nil, password: PasswordSource? = nil,
                allowPlaintext: Bool = false, tlsCAFile: String? = nil) {
        self.url = url
        self.from = from
        self.to = to
        self.username = username
        self.password = password
        self.allowPlaintext = allowPlaintext
        self.tlsCAFile = tlsCAFile
    }
}

/// `[notify.webhook]`: an HTTP POST per event.
public struct WebhookSettings: Sendable, Equatable {
    public enum Format: String, Sendable { case json, text, slack }
    public var url: String
    public var format: Format

    public init(url: String, format: Format) {
        self.url = url
        self.format = format
    }
}
