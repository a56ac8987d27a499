import KithIMAP
import KithMail

/// Why kith could not get a token. Descriptions carry the provider's own words, made safe and cut short;
/// never a token, code or secret.
public enum OAuth2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// No usable tokens: never signed in, or the provider refused the refresh token (expired, revoked,
    /// consent missing). The user must run `kith login` again.
    case signInNeeded(String)
    /// The provider says the user is disabled or deleted: the employer has closed the account.
    case accountDisabled(String)
    /// The token endpoint is unwell or unreachable (5xx, 429, timeouts); the tokens are kept.
    case transient(String)
    /// The provider refused the request for a reason only the configuration can fix (client id, secret, scopes).
    case refused(String)
    /// `kith login` ended without tokens (code expired, sign-in declined, state mismatch, no redirect).
    case loginFailed(String)

    public var description: String {
        switch self {
        case .signInNeeded(let detail): "\(Self.signInNeededPrefix): \(detail)"
        case .accountDisabled(let detail): "\(Self.disabledPrefix): \(detail)"
        case .transient(let detail): "the identity provider is not answering properly; tokens kept, will retry: \(detail)"
        case .refused(let detail): "the identity provider refused the request (check [account.oauth2] and docs/oauth2.md): \(detail)"
        case .loginFailed(let detail): "sign-in failed: \(detail)"
        }
    }

    public static let signInNeededPrefix = "sign-in needed"
    public static let disabledPrefix = "the identity provider says the account is disabled"

    /// What the daemon does about it.
    public var retryClass: IMAPError.RetryClass {
        if case .transient = self { return .later }
        return .never
    }

    /// Text from a provider, fit for a terminal and a log: one line, at most 300 characters.
    static func providerText(_ text: String) -> String {
        let line = SafeText.line(text)
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}
