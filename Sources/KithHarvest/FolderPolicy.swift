import KithConfig
import KithIMAPWire

/// Decides which folders a harvest reads: not junk, trash or drafts, unless the account's config says otherwise.
public struct FolderPolicy: Sendable {
    public let selection: FolderSelection

    private static let skippedAttributes = ["\\Junk", "\\Trash", "\\Drafts", "\\Noselect", "\\NonExistent"]
    /// Used when the server offers no SPECIAL-USE attributes; compared case-insensitively with the last name component.
    private static let skippedNames: Set<String> = [
        "junk", "junk e-mail", "junk email", "spam", "bulk mail", "trash", "deleted items", "deleted messages", "bin",
        "drafts", "draft",
    ]

    public init(selection: FolderSelection) {
        self.selection = selection
    }

    /// Whether to harvest `entry`, whose decoded name is `displayName`.
    public func includes(_ entry: ListEntry, displayName: String) -> Bool {
        if entry.has("\\Noselect") || entry.has("\\NonExistent") { return false }
        if !selection.include.isEmpty {
            return selection.include.contains { Self.matches(displayName, pattern: $0) }
                && !selection.exclude.contains { Self.matches(displayName, pattern: $0) }
        }
        if selection.exclude.contains(where: { Self.matches(displayName, pattern: $0) }) { return false }
        if Self.skippedAttributes.contains(where: entry.has) { return false }
        let delimiter = entry.delimiter.map { Character(Unicode.Scalar($0)) } ?? "/"
        let leaf = displayName.split(separator: delimiter).last.map(String.init) ?? displayName
        return !Self.skippedNames.contains(leaf.lowercased())
    }

    /// Glob match with `*` (any run) and `?` (one character); `INBOX` matches case-insensitively.
    public static func matches(_ name: String, pattern: String) -> Bool {
        if pattern.uppercased() == "INBOX" { return name.uppercased() == "INBOX" }
        let text = Array(name), glob = Array(pattern)
        var t = 0, g = 0, starG = -1, starT = 0
        while t < text.count {
            if g < glob.count, glob[g] == "?" || glob[g] == text[t] {
                t += 1
                g += 1
            } else if g < glob.count, glob[g] == "*" {
                starG = g
                starT = t
                g += 1
            } else if starG >= 0 {
                g = starG + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while g < glob.count, glob[g] == "*" { g += 1 }
        return g == glob.count
    }
}
