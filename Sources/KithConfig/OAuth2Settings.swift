import Foundation

/// `[account.oauth2]`: kith signs in by itself (`kith login`) and keeps the account's tokens fresh.
public struct OAuth2Settings: Sendable, Equatable {
    public enum Provider: String, Sendable, CaseIterable {
        case microsoft, google, custom
    }

    /// How `kith login` obtains the first tokens.
    public enum Flow: String, Sendable, CaseIterable {
        /// RFC 8628: a code typed in at an address on any device.
        case device
        /// RFC 8252 with PKCE: a browser on this machine redirects to a port on 127.0.0.1.
        case loopback
    }

    /// Where the client secret comes from; Google's "Desktop app" clients have one, public clients do not.
    public enum ClientSecret: Sendable, Equatable {
        case value(String)
        case file(String)
    }

    public var provider: Provider
    public var clientID: String
    public var clientSecret: ClientSecret?
    /// Microsoft only: `common`, `organizations` or a tenant id.
    public var tenant: String?
    public var flow: Flow
    public var scopes: [String]
    public var deviceAuthorizationURL: String?
    public var authorizationURL: String?
    public var tokenURL: String

    public init(provider: Provider, clientID: String, clientSecret: ClientSecret? = nil, tenant: String? = nil, flow: Flow? = nil,
                scopes: [String]? = nil, deviceAuthorizationURL: String? = nil, authorizationURL: String? = nil, tokenURL: String? = nil) {
        self.provider = provider
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tenant = tenant
        self.flow = flow ?? Self.defaultFlow(provider)
        self.scopes = scopes ?? Self.defaultScopes(provider)
        let defaults = Self.defaultEndpoints(provider, tenant: tenant ?? "common")
        self.deviceAuthorizationURL = deviceAuthorizationURL ?? defaults.device
        self.authorizationURL = authorizationURL ?? defaults.authorization
        self.tokenURL = tokenURL ?? defaults.token ?? ""
    }

    /// Microsoft: device flow. Google: loopback, since Google refuses Gmail scopes in the device flow.
    public static func defaultFlow(_ provider: Provider) -> Flow {
        provider == .google ? .loopback : .device
    }

    public static func defaultScopes(_ provider: Provider) -> [String] {
        switch provider {
        case .microsoft: ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"]
        case .google: ["https://mail.google.com/"]
        case .custom: []
        }
    }

    /// The providers' published endpoints (Microsoft identity platform v2.0; Google OAuth 2.0 for installed apps).
    static func defaultEndpoints(_ provider: Provider, tenant: String) -> (device: String?, authorization: String?, token: String?) {
        switch provider {
        case .microsoft:
            let base = "https://login.microsoftonline.com/\(tenant)/oauth2/v2.0"
            return ("\(base)/devicecode", "\(base)/authorize", "\(base)/token")
        case .google:
            return ("https://oauth2.googleapis.com/device/code", "https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token")
        case .custom:
            return (nil, nil, nil)
        }
    }

    /// Whether `url` may carry tokens: https, or plain http to this machine only.
    public static func isAcceptableEndpoint(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased(), !host.isEmpty else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
    }
}
