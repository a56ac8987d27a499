import KithConfig
import KithIMAPWire

/// What a folder is for: from its RFC 6154 attributes, or its name when the server gives none.
public enum FolderRole: String, Sendable, Equatable {
    case sent, drafts, junk, trash, outbox, all, archive, flagged
    /// Exchange's calendar, contacts, tasks... listed over IMAP but holding no mail.
    case noMail = "no mail"
}

/// Which folders a harvest reads, in which order, and why it skips the others. Pure: built from the
/// LIST reply and the account's folder selection, unit-tested with each server's listing.
public struct FolderPlan: Sendable, Equatable {
    public struct Folder: Sendable, Equatable {
        public var name: [UInt8]
        public var displayName: String
        public var role: FolderRole?
        /// Nil: read it. Otherwise why not, for `--log-level info`.
        public var skipReason: String?
    }

    /// Every listed folder, INBOX first, then in the server's order.
    public var folders: [Folder]
    /// The folder that holds every message (Gmail's `[Gmail]/All Mail`), when the plan reads only it.
    public var allMail: String?

    public var read: [Folder] { folders.filter { $0.skipReason == nil } }

    /// Attributes that give a folder a role (RFC 6154, and Gmail's `\All`).
    static let roleAttributes: [(String, FolderRole)] = [
        ("\\Sent", .sent), ("\\Drafts", .drafts), ("\\Junk", .junk), ("\\Trash", .trash), ("\\All", .all),
        ("\\Archive", .archive), ("\\Flagged", .flagged),
    ]
    static let skippedRoles: Set<FolderRole> = [.drafts, .junk, .trash, .outbox, .noMail]

    public static func make(listing: [ListEntry], selection: FolderSelection, maximumNameBytes: Int = 1024) -> FolderPlan {
        let attributed = listing.contains { entry in roleAttributes.contains { entry.has($0.0) } }
        var folders = listing.map { entry -> Folder in
            let displayName = ModifiedUTF7.decode(entry.name)
            var folder = Folder(name: entry.name, displayName: displayName, role: nil, skipReason: nil)
            var roleSource = ""
            if attributed {
                if let (attribute, role) = roleAttributes.first(where: { entry.has($0.0) }) {
                    folder.role = role
                    roleSource = attribute
                }
            } else {
                let delimiter = entry.delimiter.map { Character(Unicode.Scalar($0)) }
                let components = delimiter.map { displayName.split(separator: $0).map(String.init) } ?? [displayName]
                if let (role, language) = FolderNames.role(components: components) {
                    folder.role = role
                    roleSource = "named like \(role.rawValue) (\(language))"
                }
            }
            folder.skipReason = skipReason(entry, folder, roleSource: roleSource, selection: selection, maximumNameBytes: maximumNameBytes)
            return folder
        }
        var plan = FolderPlan(folders: folders, allMail: nil)
        // Gmail: every message of every label (drafts too, not junk or trash) is in the \All folder.
        if selection.include.isEmpty, let all = folders.first(where: { $0.role == .all && $0.skipReason == nil }) {
            plan.allMail = all.displayName
            for index in folders.indices where folders[index].skipReason == nil && folders[index].name != all.name {
                folders[index].skipReason = "its messages are all in \(all.displayName) (\\All)"
            }
        }
        if let inbox = folders.firstIndex(where: { $0.displayName.uppercased() == "INBOX" }), inbox > 0 {
            folders.insert(folders.remove(at: inbox), at: 0)
        }
        plan.folders = folders
        return plan
    }

    private static func skipReason(_ entry: ListEntry, _ folder: Folder, roleSource: String, selection: FolderSelection,
                                   maximumNameBytes: Int) -> String? {
        if entry.has("\\Noselect") || entry.has("\\NonExistent") { return "cannot be opened (\\Noselect)" }
        if entry.name.count > maximumNameBytes { return "name of \(entry.name.count) bytes is longer than \(maximumNameBytes)" }
        let name = folder.displayName
        if !selection.include.isEmpty {
            guard selection.include.contains(where: { FolderPolicy.matches(name, pattern: $0) }) else { return "not in folders.include" }
            if selection.exclude.contains(where: { FolderPolicy.matches(name, pattern: $0) }) { return "in folders.exclude" }
            return nil
        }
        if selection.exclude.contains(where: { FolderPolicy.matches(name, pattern: $0) }) { return "in folders.exclude" }
        if let role = folder.role, skippedRoles.contains(role) {
            return role == .noMail ? "holds no mail over IMAP (\(roleSource))" : "\(role.rawValue) (\(roleSource))"
        }
        return nil
    }
}
