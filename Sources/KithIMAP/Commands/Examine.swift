import KithIMAPWire

/// What `EXAMINE` reports about a mailbox (RFC 9051 section 6.3.3).
public struct MailboxStatus: Equatable, Sendable {
    public var uidValidity: UInt32
    /// The UID the next message will get; nil when the server does not say.
    public var uidNext: UInt32?
    public var exists: UInt32
}

extension IMAPSession {
    /// Opens `mailbox` read-only: kith never issues SELECT, so no flag can change.
    public func examine(_ mailbox: [UInt8]) throws(IMAPError) -> MailboxStatus {
        var uidValidity: UInt32?
        var uidNext: UInt32?
        var exists: UInt32 = 0
        for response in try run(.examine(mailbox: mailbox)) {
            switch response {
            case .exists(let count): exists = count
            case .status(let status):
                switch status.code {
                case .uidValidity(let value): uidValidity = value
                case .uidNext(let value): uidNext = value
                default: break
                }
            default: break
            }
        }
        guard let uidValidity else {
            throw .protocolViolation("EXAMINE \(ModifiedUTF7.decode(mailbox)) reported no UIDVALIDITY")
        }
        return MailboxStatus(uidValidity: uidValidity, uidNext: uidNext, exists: exists)
    }
}
