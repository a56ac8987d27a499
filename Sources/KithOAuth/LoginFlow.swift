import Foundation
import KithConfig
import KithMail

/// `kith login`: the first sign-in, by device code (RFC 8628) or through a browser redirected to a
/// port on 127.0.0.1 (RFC 8252, PKCE S256). Blocking; tokens never reach `say`.
public struct LoginFlow: Sendable {
    public let client: OAuth2Client
    /// One line for the user.
    public var say: @Sendable (String) -> Void
    /// Opens an address in a browser when a desktop session is there; may do nothing.
    public var openBrowser: @Sendable (String) -> Void = { _ in }
    /// How long a loopback sign-in may take.
    public var loopbackTimeoutSeconds = 600
    public var sleep: @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    public var now: @Sendable () -> Date = { Date() }

    public init(client: OAuth2Client, say: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.say = say
    }

    public func run() throws(OAuth2Error) -> TokenGrant {
        switch client.settings.flow {
        case .device: try device()
        case .loopback: try loopback(pasted: .standardInput)
        }
    }

    // MARK: - Device code

    public func device() throws(OAuth2Error) -> TokenGrant {
        let authorization = try client.startDeviceAuthorization()
        say("To sign in, open \(SafeText.line(authorization.verificationURI)) and enter the code \(SafeText.line(authorization.userCode))")
        if let complete = authorization.verificationURIComplete {
            say("or open \(SafeText.line(complete)) (the code is filled in)")
        }
        say("Waiting for the sign-in (the code is valid for \(authorization.expiresIn / 60) minutes)...")
        var interval = Double(authorization.interval)
        let deadline = now().addingTimeInterval(Double(authorization.expiresIn))
        while now() < deadline {
            sleep(interval)
            switch try client.pollDevice(authorization) {
            case .pending: continue
            case .slowDown: interval += 5  // RFC 8628 section 3.5
            case .granted(let grant): return try requireRefreshToken(grant)
            }
        }
        throw .loginFailed("the code expired before sign-in finished; run kith login again")
    }

    // MARK: - Loopback redirect

    /// `pasted` yields lines typed or pasted by the user (the redirected address, on a machine without a browser).
    public func loopback(pasted: LoopbackRedirect.LineSource) throws(OAuth2Error) -> TokenGrant {
        guard let authorizationURL = client.settings.authorizationURL else { throw .refused("no authorization_url") }
        let redirect = try LoopbackRedirect()
        let verifier = PKCE.makeVerifier()
        let state = PKCE.makeVerifier().prefix(24)
        var components = URLComponents(string: authorizationURL)
        var query = components?.queryItems ?? []
        query += [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: client.settings.clientID),
            URLQueryItem(name: "redirect_uri", value: redirect.redirectURI),
            URLQueryItem(name: "scope", value: client.settings.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: String(state)),
            URLQueryItem(name: "code_challenge", value: PKCE.challenge(for: verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        if client.settings.provider == .google {
            // A refresh token only comes with offline access, and again on later sign-ins only with consent asked.
            query += [URLQueryItem(name: "access_type", value: "offline"), URLQueryItem(name: "prompt", value: "consent")]
        }
        components?.percentEncodedQueryItems = query.map {
            URLQueryItem(name: $0.name, value: $0.value.map(LoopbackRedirect.queryEncode))
        }
        guard let address = components?.string else { throw .refused("authorization_url \(authorizationURL) is not a valid address") }
        say("Open this address in a browser to sign in:")
        say(address)
        say("Waiting for the browser on \(redirect.redirectURI) (or paste the address the browser ended on, then Enter)...")
        openBrowser(address)
        let answer = try redirect.waitForAnswer(pasted: pasted, timeoutSeconds: loopbackTimeoutSeconds)
        if let error = answer["error"] {
            let description = answer["error_description"].map { ": \($0)" } ?? ""
            throw .loginFailed(OAuth2Error.providerText("the provider answered \(error)\(description)"))
        }
        guard answer["state"] == String(state) else {
            throw .loginFailed("the redirect's state does not match this sign-in; it was not started by this kith login")
        }
        guard let code = answer["code"], !code.isEmpty else { throw .loginFailed("the redirect carried no code") }
        return try requireRefreshToken(client.exchange(code: code, verifier: verifier, redirectURI: redirect.redirectURI))
    }

    private func requireRefreshToken(_ grant: TokenGrant) throws(OAuth2Error) -> TokenGrant {
        guard grant.refreshToken != nil else {
            throw .loginFailed("the provider gave no refresh token; Microsoft needs the offline_access scope, Google access_type=offline")
        }
        return grant
    }
}

/// Proof Key for Code Exchange (RFC 7636) with S256.
public enum PKCE {
    /// 43 characters of base64url from 32 random bytes.
    public static func makeVerifier() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(bytes)
    }

    public static func challenge(for verifier: String) -> String {
        base64URL(Digest.sha256(Array(verifier.utf8)))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
