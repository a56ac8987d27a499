import Foundation
import KithConfig
import KithIMAP

/// Tokens from a token endpoint (RFC 6749 section 5.1).
public struct TokenGrant: Sendable {
    public var accessToken: String
    /// Absent when the provider keeps the old one valid (Google on refresh).
    public var refreshToken: String?
    public var expiresIn: Int
    public var scope: String?
}

/// A device authorization (RFC 8628 section 3.2).
public struct DeviceAuthorization: Sendable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    public var verificationURIComplete: String?
    public var expiresIn: Int
    public var interval: Int
}

/// Talks to one provider's endpoints over libcurl. Blocking.
public struct OAuth2Client: Sendable {
    public let settings: OAuth2Settings
    private let clientSecret: String?
    public var timeoutSeconds = 30

    /// `clientSecret` is the resolved `client_secret` or `client_secret_file`.
    public init(settings: OAuth2Settings, clientSecret: String?) {
        self.settings = settings
        self.clientSecret = clientSecret
    }

    /// Reads the client secret named by `settings`, if any.
    public static func resolveClientSecret(_ settings: OAuth2Settings) throws(OAuth2Error) -> String? {
        switch settings.clientSecret {
        case nil: return nil
        case .value(let value): return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .refused("cannot read client_secret_file \(path)")
            }
            let value = String(decoding: data.prefix { $0 != 0x0A }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else { throw .refused("client_secret_file \(path) is empty") }
            return value
        }
    }

    public func startDeviceAuthorization() throws(OAuth2Error) -> DeviceAuthorization {
        guard let url = settings.deviceAuthorizationURL else { throw .refused("no device_authorization_url") }
        let answer = try post(url, [("client_id", settings.clientID), ("scope", settings.scopes.joined(separator: " "))] + secretField)
        guard answer.status == 200 else { throw classify(answer, during: .deviceAuthorization) }
        let object = answer.object
        guard let deviceCode = object["device_code"] as? String, let userCode = object["user_code"] as? String,
              // Google says verification_url, RFC 8628 and Microsoft verification_uri.
              let uri = (object["verification_uri"] ?? object["verification_url"]) as? String else {
            throw .loginFailed("the device authorization answer lacks device_code, user_code or verification_uri")
        }
        return DeviceAuthorization(deviceCode: deviceCode, userCode: userCode, verificationURI: uri,
                                   verificationURIComplete: object["verification_uri_complete"] as? String,
                                   expiresIn: Self.number(object["expires_in"]) ?? 900,
                                   interval: max(1, Self.number(object["interval"]) ?? 5))
    }

    /// One poll of the token endpoint for a device code.
    public enum DevicePoll: Sendable {
        case pending
        case slowDown
        case granted(TokenGrant)
    }

    public func pollDevice(_ authorization: DeviceAuthorization) throws(OAuth2Error) -> DevicePoll {
        let answer = try post(settings.tokenURL, [
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", authorization.deviceCode), ("client_id", settings.clientID),
        ] + secretField)
        if answer.status == 200 { return .granted(try grant(answer)) }
        switch answer.object["error"] as? String {
        case "authorization_pending": return .pending
        case "slow_down": return .slowDown
        case "expired_token": throw .loginFailed("the code expired before sign-in finished; run kith login again")
        case "authorization_declined", "access_denied": throw .loginFailed("sign-in was declined in the browser")
        case "bad_verification_code": throw .loginFailed("the provider did not recognise the device code; run kith login again")
        default: throw classify(answer, during: .deviceAuthorization)
        }
    }

    public func exchange(code: String, verifier: String, redirectURI: String) throws(OAuth2Error) -> TokenGrant {
        let answer = try post(settings.tokenURL, [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", settings.clientID), ("code_verifier", verifier),
        ] + secretField)
        guard answer.status == 200 else { throw classify(answer, during: .codeExchange) }
        return try grant(answer)
    }

    public func refresh(_ refreshToken: String) throws(OAuth2Error) -> TokenGrant {
        var fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", settings.clientID)]
        if settings.provider == .microsoft { fields.append(("scope", settings.scopes.joined(separator: " "))) }
        let answer = try post(settings.tokenURL, fields + secretField)
        guard answer.status == 200 else { throw classify(answer, during: .refresh) }
        return try grant(answer)
    }

    // MARK: - Answers

    enum Stage { case deviceAuthorization, codeExchange, refresh }

    private var secretField: [(String, String)] { clientSecret.map { [("client_secret", $0)] } ?? [] }

    private func post(_ url: String, _ fields: [(String, String)]) throws(OAuth2Error) -> Answer {
        do {
            let response = try CurlTransfer.postForm(url: url, fields: fields, timeoutSeconds: timeoutSeconds)
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            return Answer(status: response.status, object: object)
        } catch {
            throw .transient("\(OAuth2Error.providerText("\(error)")) (\(Self.host(url)))")
        }
    }

    private func grant(_ answer: Answer) throws(OAuth2Error) -> TokenGrant {
        guard let access = answer.object["access_token"] as? String, !access.isEmpty else {
            throw .transient("the token endpoint answered 200 without an access_token")
        }
        return TokenGrant(accessToken: access, refreshToken: (answer.object["refresh_token"] as? String).flatMap { $0.isEmpty ? nil : $0 },
                          expiresIn: Self.number(answer.object["expires_in"]) ?? 3600, scope: answer.object["scope"] as? String)
    }

    /// What an error answer means for the user. Recognised as "disabled": Microsoft's AADSTS50057
    /// (UserDisabled) and AADSTS50034 (UserAccountNotFound), in `error_codes` or the description; Google's
    /// `invalid_grant` whose description says the account was deleted, disabled or suspended.
    func classify(_ answer: Answer, during stage: Stage) -> OAuth2Error {
        if answer.status >= 500 || answer.status == 429 || answer.status == 0 {
            return .transient("HTTP \(answer.status) from \(Self.host(settings.tokenURL))")
        }
        let code = answer.object["error"] as? String ?? "HTTP \(answer.status)"
        let description = answer.object["error_description"] as? String ?? ""
        let detail = OAuth2Error.providerText(description.isEmpty ? code : "\(code): \(description)")
        let numbers = (answer.object["error_codes"] as? [Any] ?? []).compactMap { Self.number($0) }
        let lower = description.lowercased()
        if numbers.contains(50057) || numbers.contains(50034) || description.contains("AADSTS50057") || description.contains("AADSTS50034") {
            return .accountDisabled(detail)
        }
        if code == "invalid_grant", ["deleted", "disabled", "suspended"].contains(where: lower.contains) {
            return .accountDisabled(detail)
        }
        switch code {
        case "invalid_grant", "interaction_required", "consent_required", "login_required":
            return stage == .refresh ? .signInNeeded(detail) : .loginFailed(detail)
        case "temporarily_unavailable", "server_error":
            return .transient(detail)
        default:
            return .refused(detail)
        }
    }

    struct Answer {
        var status: Int
        var object: [String: Any]
    }

    static func number(_ value: Any?) -> Int? {
        if let value = value as? Int { return value }
        if let value = value as? NSNumber { return value.intValue }
        if let value = value as? String { return Int(value) }
        return nil
    }

    static func host(_ url: String) -> String {
        URLComponents(string: url)?.host ?? "the token endpoint"
    }
}
