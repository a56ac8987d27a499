import KithIMAP

/// Why an account's harvest stopped, and where: account, folder and UID range when known.
public struct HarvestError: Error, Sendable, CustomStringConvertible {
    public var account: String
    public var folder: String?
    public var uidRange: ClosedRange<UInt32>?
    public var reason: String
    public var retry: IMAPError.RetryClass

    public var description: String {
        var place = "account \"\(account)\""
        if let folder { place += ", folder \"\(folder)\"" }
        if let uidRange { place += ", UIDs \(uidRange.lowerBound):\(uidRange.upperBound)" }
        return "\(place): \(reason)"
    }
}
