import KithIMAPWire

extension IMAPSession {
    /// Every mailbox (`LIST "" "*"`), with special-use attributes (RFC 6154) when the server offers them.
    public func listMailboxes() throws(IMAPError) -> [ListEntry] {
        let responses = try run(.list(pattern: "*", returnSpecialUse: capabilities.contains("SPECIAL-USE")))
        return responses.compactMap { response in
            if case .list(let entry) = response { return entry }
            return nil
        }
    }
}
