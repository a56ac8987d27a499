import Foundation
import KithIMAP
import KithOAuth

/// Why an account's harvest stopped, and where: account, folder and UID range when known.
public struct HarvestError: Error, Sendable, CustomStringConvertible {
    public var account: String
    public var folder: String?
    public var uidRange: ClosedRange<UInt32>?
    public var reason: String
    public var retry: IMAPError.RetryClass
    /// Set when the identity provider, not the mail server, ended the harvest.
    public var cause: Cause?
    /// The server asked not to be contacted before this (throttling): the next harvest waits until then.
    public var retryAt: Date?

    public enum Cause: Sendable, Equatable {
        /// The tokens are gone or refused: `kith login` is needed.
        case signInNeeded
        /// The provider says the user is disabled or deleted: the account is closed.
        case accountDisabled
    }

    public init(account: String, folder: String? = nil, uidRange: ClosedRange<UInt32>? = nil, reason: String,
                retry: IMAPError.RetryClass, cause: Cause? = nil) {
        self.account = account
        self.folder = folder
        self.uidRange = uidRange
        self.reason = reason
        self.retry = retry
        self.cause = cause
    }

    /// Which cause a stored error text shows (`kith status` reads it back from the archive).
    public static func cause(ofStoredError text: String) -> Cause? {
        if text.contains(OAuth2Error.disabledPrefix) { return .accountDisabled }
        if text.contains(OAuth2Error.signInNeededPrefix) { return .signInNeeded }
        return nil
    }

    public var description: String {
        var place = "account \"\(account)\""
        if let folder { place += ", folder \"\(folder)\"" }
        if let uidRange { place += ", UIDs \(uidRange.lowerBound):\(uidRange.upperBound)" }
        return "\(place): \(reason)"
    }
}
