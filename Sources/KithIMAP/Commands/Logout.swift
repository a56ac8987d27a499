extension IMAPSession {
    /// Ends the session politely; errors are ignored since the work is already done.
    public func logout() {
        _ = try? run(.logout)
    }
}
