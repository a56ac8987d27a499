/// One mailbox from an address list: the decoded display name and the normalised address.
///
/// The address is lowercased whole: kith matches addresses case-insensitively, as users expect.
public struct MailAddress: Hashable, Sendable {
    public var name: String?
    public var email: String

    public init(name: String?, email: String) {
        self.name = name
        self.email = email
    }

    /// The part after the last `@`.
    public var domain: Substring { email[email.index(after: email.lastIndex(of: "@")!)...] }
    /// The part before the last `@`.
    public var localPart: Substring { email[..<email.lastIndex(of: "@")!] }
}
