import Foundation

/// `[digest]`: the fading list sent through the notify channels every so often.
public struct DigestSettings: Sendable, Equatable {
    public var everySeconds: Int
    /// People per digest.
    public var limit: Int

    public init(everySeconds: Int = 7 * 86_400, limit: Int = 10) {
        self.everySeconds = everySeconds
        self.limit = limit
    }
}

/// `[carddav]`: the address book `kith sync-carddav` fills with the people who matter.
public struct CardDAVSettings: Sendable, Equatable {
    /// The address book collection, ending in `/`.
    public var url: String
    public var username: String
    public var password: PasswordSource
    /// People with at least this strength (`min_strength`), or the `top` strongest.
    public var selection: Selection
    /// The daemon syncs after each harvest.
    public var sync: Bool
    public var tlsCAFile: String?

    public enum Selection: Sendable, Equatable {
        case minStrength(Double)
        case top(Int)
    }

    public init(url: String, username: String, password: PasswordSource, selection: Selection = .minStrength(10), sync: Bool = false,
                tlsCAFile: String? = nil) {
        self.url = url
        self.username = username
        self.password = password
        self.selection = selection
        self.sync = sync
        self.tlsCAFile = tlsCAFile
    }
}
