import Foundation
import KithArchive
#if canImport(Glibc)
import Glibc
#endif

/// An account's tokens as kept on disk.
public struct StoredTokens: Sendable, Equatable {
    public var refreshToken: String
    public var accessToken: String?
    /// Seconds since 1970 when the access token stops working.
    public var accessTokenExpiresAt: Int64
    public var scope: String?

    public init(refreshToken: String, accessToken: String?, accessTokenExpiresAt: Int64, scope: String? = nil) {
        self.refreshToken = refreshToken
        self.accessToken = accessToken
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.scope = scope
    }
}

/// One file per account (`NAME.json`, 0600) in a 0700 `credentials/` directory next to the archive.
/// Each save replaces the file atomically and syncs the directory, so a crash leaves the old tokens or
/// the new ones, never neither. Nothing here is ever printed, logged or archived.
public struct TokenStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `credentials/` beside the archive at `archivePath`.
    public init(archivePath: String) {
        self.init(directory: ((archivePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("credentials"))
    }

    public func path(account: String) -> String {
        (directory as NSString).appendingPathComponent("\(account).json")
    }

    /// The stored tokens, nil when there are none; a damaged file is an error naming it.
    public func load(account: String) throws(OAuth2Error) -> StoredTokens? {
        let file = path(account: account)
        guard let data = FileManager.default.contents(atPath: file) else {
            if FileManager.default.fileExists(atPath: file) { throw .signInNeeded("cannot read \(file)") }
            return nil
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let refresh = object["refresh_token"] as? String, !refresh.isEmpty else {
            throw .signInNeeded("\(file) is damaged (no refresh_token)")
        }
        return StoredTokens(refreshToken: refresh, accessToken: object["access_token"] as? String,
                            accessTokenExpiresAt: (object["access_token_expires_at"] as? NSNumber)?.int64Value ?? 0,
                            scope: object["scope"] as? String)
    }

    public func save(_ tokens: StoredTokens, account: String) throws(PrivateFile.Failure) {
        try PrivateFile.makeDirectory(directory)
        var object: [String: Any] = [
            "refresh_token": tokens.refreshToken, "access_token_expires_at": tokens.accessTokenExpiresAt,
            "saved_at": Int64(Date().timeIntervalSince1970),
        ]
        if let access = tokens.accessToken { object["access_token"] = access }
        if let scope = tokens.scope { object["scope"] = scope }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        try PrivateFile.write(Array(data) + [0x0A], to: path(account: account))
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}
