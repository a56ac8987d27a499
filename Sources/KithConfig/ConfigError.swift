/// One thing wrong with the configuration, formatted `file:line: account "x": key: what is wrong`.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation
    public var account: String?
    public var key: String?
    public var message: String

    public var description: String {
        var text = "\(location): "
        if let account { text += "account \"\(account)\": " }
        if let key { text += "\(key): " }
        return text + message
    }
}

/// Every problem found in a configuration: kith reports them all at once, not the first only.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
