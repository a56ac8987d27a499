import Foundation
import KithIMAPWire

/// One folder of mail found under an import path: where its messages are and what the folder is for.
struct ImportFolder {
    enum Content {
        /// One mbox file.
        case mbox(String)
        /// One message per file (Maildir, .eml); `emlx` files start with a byte-count line (Apple Mail).
        case files([String], emlx: Bool)
    }

    /// The folder's name as the user knows it (`Work.mbox`, `INBOX`, `Projects/Kith`).
    var name: String
    /// A stable key for the archive: the absolute source path, and the folder within it.
    var key: String
    var content: Content
    /// Why its messages do not count (junk, trash, drafts...), decided like a harvest does by name or role.
    var skipReason: String?
}

/// Finds the folders of mail under a path: an mbox file (Google Takeout's too), an Apple Mail `.mbox`
/// bundle, a Maildir or Maildir++ tree, a directory of `.eml` files, a kith final export, or any tree of
/// those. Outlook `.pst`/`.ost` files are converted by `readpst` first (see `PSTConverter`).
enum ImportSource {
    static func folders(at path: String) throws -> [ImportFolder] {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw ImportError(path: path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else {
            guard looksLikeMbox(absolute) else {
                throw ImportError(path: path, reason: "not an mbox file (no \"From \" line at its start), a directory, or a .pst/.ost file")
            }
            let name = (absolute as NSString).lastPathComponent
            return [folder(name: name, components: [(name as NSString).deletingPathExtension], key: absolute, content: .mbox(absolute))]
        }
        if FileManager.default.fileExists(atPath: "\(absolute)/manifest.json") { return try finalExport(absolute) }
        var found: [ImportFolder] = []
        walk(absolute, relative: [], root: absolute, into: &found)
        return found
    }

    /// Whether the file starts (after blank lines) with a `From ` line.
    static func looksLikeMbox(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let start = (try? handle.read(upToCount: 4096)) ?? Data()
        let text = start.drop { $0 == 0x0A || $0 == 0x0D }
        return text.starts(with: Array("From ".utf8))
    }

    private static func walk(_ directory: String, relative: [String], root: String, into found: inout [ImportFolder]) {
        let manager = FileManager.default
        let entries = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        let isMaildir = entries.contains("cur") || entries.contains("new")
        if isMaildir {
            // Maildir: this directory is a folder (INBOX at the top); `.A.B` children are Maildir++ folders.
            let files = ["cur", "new"].flatMap { sub in
                ((try? manager.contentsOfDirectory(atPath: "\(directory)/\(sub)")) ?? []).sorted().map { "\(directory)/\(sub)/\($0)" }
            }
            let name = relative.isEmpty ? "INBOX" : relative.joined(separator: "/")
            found.append(folder(name: name, components: relative.isEmpty ? ["INBOX"] : relative, key: directory, content: .files(files, emlx: false)))
        }
        var emls: [String] = []
        for entry in entries where !entry.hasPrefix(".") || isMaildir {
            let path = "\(directory)/\(entry)"
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }  // gone since the listing
            if isDirectory.boolValue {
                if isMaildir && ["cur", "new", "tmp"].contains(entry) { continue }
                if isMaildir && entry.hasPrefix(".") {
                    // Maildir++: `.Projects.Kith` is Projects/Kith, names in modified UTF-7.
                    let parts = ModifiedUTF7.decode(Array(entry.dropFirst().utf8)).split(separator: ".").map(String.init)
                    walk(path, relative: relative + parts, root: root, into: &found)
                } else if entry.hasSuffix(".mbox") {
                    appleBundle(path, relative: relative + [(entry as NSString).deletingPathExtension], root: root, into: &found)
                } else if entry.hasSuffix(".sbd") {
                    // Thunderbird: the subfolders of mbox file `Foo` live in `Foo.sbd/`.
                    walk(path, relative: relative + [(entry as NSString).deletingPathExtension], root: root, into: &found)
                } else {
                    walk(path, relative: relative + [entry], root: root, into: &found)
                }
            } else if entry.lowercased().hasSuffix(".eml") {
                emls.append(path)
            } else if !isMaildir, looksLikeMbox(path) {
                // readpst writes each folder's messages to a file called `mbox` in the folder's directory.
                let components = entry == "mbox" && !relative.isEmpty ? relative : relative + [(entry as NSString).deletingPathExtension]
                found.append(folder(name: components.joined(separator: "/"), components: components, key: path, content: .mbox(path)))
            }
        }
        if !emls.isEmpty {
            let components = relative.isEmpty ? [(directory as NSString).lastPathComponent] : relative
            found.append(folder(name: components.joined(separator: "/"), components: components, key: directory, content: .files(emls, emlx: false)))
        }
    }

    /// An Apple Mail `.mbox` bundle: an `mbox` file inside (older exports), or `Messages/*.emlx` (Mail's own store).
    private static func appleBundle(_ path: String, relative: [String], root: String, into found: inout [ImportFolder]) {
        let manager = FileManager.default
        if manager.fileExists(atPath: "\(path)/mbox") {
            found.append(folder(name: relative.joined(separator: "/"), components: relative, key: path, content: .mbox("\(path)/mbox")))
        }
        var emlx: [String] = []
        if let enumerator = manager.enumerator(atPath: path) {
            for case let item as String in enumerator where item.hasSuffix(".emlx") && !item.contains(".mbox/") {
                emlx.append("\(path)/\(item)")
            }
        }
        if !emlx.isEmpty {
            found.append(folder(name: relative.joined(separator: "/"), components: relative, key: path, content: .files(emlx.sorted(), emlx: true)))
        }
        // Nested mailboxes live beside the messages.
        for entry in ((try? manager.contentsOfDirectory(atPath: path)) ?? []).sorted() where entry.hasSuffix(".mbox") {
            appleBundle("\(path)/\(entry)", relative: relative + [(entry as NSString).deletingPathExtension], root: root, into: &found)
        }
    }

    /// A kith final export: the folders its manifest lists, each with the role the export recorded.
    private static func finalExport(_ directory: String) throws -> [ImportFolder] {
        let manifestPath = "\(directory)/manifest.json"
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let folders = object["folders"] as? [[String: Any]] else {
            throw ImportError(path: manifestPath, reason: "not a kith export manifest (no \"folders\")")
        }
        return folders.compactMap { entry in
            guard let name = entry["name"] as? String, let file = entry["file"] as? String, !file.contains("/"), !file.hasPrefix(".") else { return nil }
            var found = folder(name: name, components: name.split(separator: "/").map(String.init), key: "\(directory)/\(file)",
                               content: .mbox("\(directory)/\(file)"))
            if let role = (entry["role"] as? String).flatMap(FolderRole.init(rawValue:)) {
                found.skipReason = FolderPlan.skippedRoles.contains(role) ? "\(role.rawValue) (recorded in the export)" : nil
            }
            return found
        }
    }

    private static func folder(name: String, components: [String], key: String, content: ImportFolder.Content) -> ImportFolder {
        var skip: String?
        if let (role, language) = FolderNames.role(components: components), FolderPlan.skippedRoles.contains(role) {
            skip = role == .noMail ? "holds no mail (named like \(language) \(role.rawValue))" : "\(role.rawValue) (named like \(role.rawValue) (\(language)))"
        }
        return ImportFolder(name: name, key: key, content: content, skipReason: skip)
    }
}
