/// Where and how to log in to one IMAP account.
public struct ConnectionSettings: Sendable {
    /// `imaps://host[:port]` (implicit TLS) or `imap://host[:port]` (STARTTLS unless plaintext is allowed).
    public var url: String
    public var username: String
    /// The password, or the OAuth2 access token when `bearerMechanism` is set.
    public var password: Secret
    /// `XOAUTH2` or `OAUTHBEARER`: log in with `password` as a bearer token through that SASL mechanism.
    public var bearerMechanism: String?
    /// A PEM file of extra trusted CAs (`tls_ca_file`).
    public var caFile: String?
    /// Permit `imap://` without STARTTLS (tests, loopback-only servers).
    public var allowPlaintext: Bool
    public var connectTimeoutSeconds: Int
    /// How long a read may wait for the next byte before the session fails with `IMAPError.timeout`.
    public var readTimeoutSeconds: Int
    /// How long one command's answer may take in all, however steadily bytes arrive (`IMAPError.deadlineExceeded`).
    public var commandTimeoutSeconds: Int
    public var parserOptions: ResponseParserOptions

    public init(url: String, username: String, password: Secret, bearerMechanism: String? = nil, caFile: String? = nil, allowPlaintext: Bool = false,
                connectTimeoutSeconds: Int = 30, readTimeoutSeconds: Int = 120, commandTimeoutSeconds: Int = 600, parserOptions: ResponseParserOptions = .init()) {
        self.url = url
        self.username = username
        self.password = password
        self.bearerMechanism = bearerMechanism
        self.caFile = caFile
        self.allowPlaintext = allowPlaintext
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.commandTimeoutSeconds = commandTimeoutSeconds
        self.parserOptions = parserOptions
    }
}

import KithIMAPWire
public typealias ResponseParserOptions = ResponseParser.Options
