/// One mailbox from an address list: the decoded display name and the normalised address.
///
/// The address is lowercased whole: kith matches addresses case-insensitively, as users expect.
/// `spelling` keeps the local part as written when it differs (`reply+AbC@example.com`), for display.
public struct MailAddress: Hashable, Sendable {
    public var name: String?
    public var email: String
    public var spelling: String?

    public init(name: String?, email: String, spelling: String? = nil) {
        self.name = name
        self.email = email
        self.spelling = spelling
    }

    /// The part after the last `@`.
    public var domain: Substring { email[email.index(after: email.lastIndex(of: "@")!)...] }
    /// The part before the last `@`.
    public var localPart: Substring { email[..<email.lastIndex(of: "@")!] }
}
