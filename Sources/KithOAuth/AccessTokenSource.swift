import Foundation
import KithConfig
import Logging

/// Hands out a valid access token for one account, refreshing it when needed.
///
/// A token valid for at least `minimumValiditySeconds` more is used as it is. A refresh saves the
/// rotated refresh token before the new access token is used (Microsoft rotates them on every use,
/// and the old one may stop working). Transient endpoint failures are retried after `retryDelays`;
/// the stored tokens survive every failure.
public struct AccessTokenSource: Sendable {
    public let account: String
    public let client: OAuth2Client
    public let store: TokenStore
    public var minimumValiditySeconds: Int64 = 60
    public var retryDelays: [Double] = [2, 10, 30]
    public var now: @Sendable () -> Date = { Date() }
    private let logger: Logger

    public init(account: String, client: OAuth2Client, store: TokenStore, logger: Logger) {
        self.account = account
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// A token the server should accept; with `forceRefresh`, a new one even if the stored one looks valid
    /// (the server has just refused it).
    public func accessToken(forceRefresh: Bool = false) throws(OAuth2Error) -> String {
        guard let stored = try store.load(account: account) else {
            throw .signInNeeded("no tokens yet; run kith login --account \(account)")
        }
        let nowSeconds = Int64(now().timeIntervalSince1970)
        if !forceRefresh, let access = stored.accessToken, stored.accessTokenExpiresAt - nowSeconds >= minimumValiditySeconds {
            return access
        }
        let grant = try refreshWithRetries(stored.refreshToken)
        let fresh = StoredTokens(refreshToken: grant.refreshToken ?? stored.refreshToken, accessToken: grant.accessToken,
                                 accessTokenExpiresAt: Int64(now().timeIntervalSince1970) + Int64(grant.expiresIn),
                                 scope: grant.scope ?? stored.scope)
        do {
            try store.save(fresh, account: account)
        } catch {
            // The provider may already have retired the old refresh token: say so plainly.
            throw .transient("the refreshed tokens could not be saved (\(error)); if this persists, run kith login --account \(account)")
        }
        logger.info("access token refreshed", metadata: ["account": "\(account)", "rotated": "\(grant.refreshToken != nil)",
                                                          "valid_s": "\(grant.expiresIn)"])
        return grant.accessToken
    }

    private func refreshWithRetries(_ refreshToken: String) throws(OAuth2Error) -> TokenGrant {
        var attempt = 0
        while true {
            do throws(OAuth2Error) {
                return try client.refresh(refreshToken)
            } catch .transient(let detail) where attempt < retryDelays.count {
                logger.notice("token refresh failed, retrying in \(retryDelays[attempt]) s: \(detail)", metadata: ["account": "\(account)"])
                Thread.sleep(forTimeInterval: retryDelays[attempt])
                attempt += 1
            }
        }
    }
}
