import Foundation
import KithArchive
import KithMail

/// `manifest.json`: what an export holds, what it could not hold and why, and whether it is complete.
public struct ExportManifest: Sendable, Codable {
    /// One folder of the account: exported to `file`, or not, with the reason.
    public struct Folder: Sendable, Codable {
        /// The folder's name for people (modified UTF-7 decoded).
        public var name: String
        /// The mailbox name exactly as the server sent it.
        public var rawName: String
        /// The mbox file, unique in the directory even compared case-insensitively; nil when not exported.
        public var file: String?
        public var serverCount: Int
        public var exportedCount: Int
        public var bytes: UInt64
        /// SHA-256 of the bytes written, computed while writing.
        public var sha256: String?
        /// Why the folder is not (wholly) in the export.
        public var reason: String?
        /// The file was read back and matched count and checksum.
        public var verified: Bool
        /// What the folder is for (`sent`, `drafts`, `junk`...): from SPECIAL-USE, or from its name without it.
        /// An import of the export skips drafts, junk and trash as a harvest does.
        public var role: String?

        public var exported: Bool { file != nil && reason == nil }
        /// Every message the server reported is in the file, and the file was read back intact.
        public var complete: Bool { exported && exportedCount >= serverCount && verified }

        public init(name: String, rawName: String, file: String?, serverCount: Int, exportedCount: Int = 0, bytes: UInt64 = 0,
                    sha256: String? = nil, reason: String? = nil, verified: Bool = false) {
            self.name = name
            self.rawName = rawName
            self.file = file
            self.serverCount = serverCount
            self.exportedCount = exportedCount
            self.bytes = bytes
            self.sha256 = sha256
            self.reason = reason
            self.verified = verified
        }

        enum CodingKeys: String, CodingKey {
            case name, file, bytes, sha256, reason, verified, exported, complete, role
            case rawName = "raw_name"
            case serverCount = "server_count"
            case exportedCount = "exported_count"
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(rawName, forKey: .rawName)
            try container.encode(file, forKey: .file)
            try container.encode(serverCount, forKey: .serverCount)
            try container.encode(exportedCount, forKey: .exportedCount)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(reason, forKey: .reason)
            try container.encode(verified, forKey: .verified)
            try container.encode(exported, forKey: .exported)
            try container.encode(complete, forKey: .complete)
            try container.encode(role, forKey: .role)
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            rawName = try container.decodeIfPresent(String.self, forKey: .rawName) ?? name
            file = try container.decodeIfPresent(String.self, forKey: .file)
            serverCount = try container.decode(Int.self, forKey: .serverCount)
            exportedCount = try container.decode(Int.self, forKey: .exportedCount)
            bytes = try container.decode(UInt64.self, forKey: .bytes)
            sha256 = try container.decodeIfPresent(String.self, forKey: .sha256)
            reason = try container.decodeIfPresent(String.self, forKey: .reason)
            verified = try container.decodeIfPresent(Bool.self, forKey: .verified) ?? false
            role = try container.decodeIfPresent(String.self, forKey: .role)
        }
    }

    public struct File: Sendable, Codable {
        public var name: String
        public var bytes: UInt64
        public var sha256: String
    }

    public var account: String
    public var directory: String
    public var startedAt: String
    public var finishedAt: String
    public var folders: [Folder]
    public var contacts: Int
    public var files: [File]

    public var complete: Bool { folders.allSatisfy(\.complete) }
    public var exportedMessages: Int { folders.map(\.exportedCount).reduce(0, +) }
    public var incompleteFolders: [Folder] { folders.filter { !$0.complete } }

    enum CodingKeys: String, CodingKey {
        case account, directory, folders, contacts, files
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    /// One line for people: `412 messages in 4 folders, 96 contacts (complete)`.
    public var summary: String {
        let head = "\(exportedMessages) messages in \(folders.filter(\.exported).count) folders, \(contacts) contacts"
        guard !complete else { return head + " (complete, verified)" }
        let missing = incompleteFolders.map { "\($0.name): \($0.reason ?? "\($0.exportedCount) of \($0.serverCount) messages")" }
        return head + " (INCOMPLETE: \(missing.joined(separator: "; ")))"
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var object = try JSONSerialization.jsonObject(with: try encoder.encode(self)) as! [String: Any]
        object["complete"] = complete
        object["exported_messages"] = exportedMessages
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// Reads `manifest.json` from an export directory.
    public static func load(directory: String) throws -> ExportManifest {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ExportVerifier.Problem(file: path, what: "cannot read")
        }
        do {
            return try JSONDecoder().decode(ExportManifest.self, from: data)
        } catch {
            throw ExportVerifier.Problem(file: path, what: "not a kith manifest: \(error)")
        }
    }
}

/// Reads an export back and checks every file against its manifest: message counts, sizes, SHA-256.
public enum ExportVerifier {
    /// One file that does not match what the manifest says.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var what: String
        public var description: String { "\(file): \(what)" }
    }

    /// What reading one mbox file back found.
    public struct MboxReading: Sendable, Equatable {
        public var messages: Int
        public var bytes: UInt64
        public var sha256: String
    }

    /// Counts the entries of an mboxrd file kith wrote (every line starting `From ` opens one: body lines
    /// that did are `>`-quoted) while hashing it, 1 MiB at a time.
    public static func read(mbox path: String) throws -> MboxReading {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Problem(file: path, what: "cannot read") }
        defer { try? handle.close() }
        let hash = SHA256Stream()
        let separator = Array("From ".utf8)
        var messages = 0, bytes: UInt64 = 0
        var lineStart = true
        var matched = 0  // bytes of "From " matched at the start of the current line
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hash.update($0) }
            bytes += UInt64(chunk.count)
            for byte in chunk {
                if lineStart || matched > 0 {
                    if byte == separator[matched] {
                        matched += 1
                        if matched == separator.count {
                            messages += 1
                            matched = 0
                        }
                    } else {
                        matched = 0
                    }
                }
                lineStart = byte == 0x0A
            }
        }
        return MboxReading(messages: messages, bytes: bytes, sha256: hash.finish())
    }

    /// Checks `manifest` against the files in `directory`; returns the manifest with each folder's
    /// `verified` set, and every problem found.
    public static func verify(_ manifest: ExportManifest, in directory: String) -> (ExportManifest, [Problem]) {
        var checked = manifest
        var problems: [Problem] = []
        for index in checked.folders.indices {
            let folder = checked.folders[index]
            checked.folders[index].verified = false
            guard let file = folder.file else { continue }
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                let reading = try read(mbox: path)
                var wrong: [String] = []
                if reading.messages != folder.exportedCount { wrong.append("\(reading.messages) messages, manifest says \(folder.exportedCount)") }
                if reading.bytes != folder.bytes { wrong.append("\(reading.bytes) bytes, manifest says \(folder.bytes)") }
                if reading.sha256 != folder.sha256 { wrong.append("SHA-256 \(reading.sha256) differs from the manifest's") }
                if wrong.isEmpty {
                    checked.folders[index].verified = true
                } else {
                    problems.append(Problem(file: path, what: wrong.joined(separator: "; ")))
                }
            } catch let problem as Problem {
                problems.append(problem)
            } catch {
                problems.append(Problem(file: path, what: "\(error)"))
            }
        }
        for file in manifest.files {
            let path = (directory as NSString).appendingPathComponent(file.name)
            let sum = try? SHA256Stream.file(path)
            if sum != file.sha256 { problems.append(Problem(file: path, what: sum == nil ? "cannot read" : "SHA-256 differs from the manifest's")) }
        }
        return (checked, problems)
    }
}

/// File names for an export's folders: readable, at most 200 bytes, unique by construction even when
/// compared case-insensitively (exports get copied to macOS and Windows disks).
public enum ExportFileNames {
    public static let maximumBytes = 200

    /// A file name (with `.mbox`) for each raw mailbox name, in the same order.
    public static func assign(_ folders: [(raw: [UInt8], display: String)]) -> [String] {
        var readable = folders.map { readablePart($0.display) }
        // A short hash of the raw name where the readable part lost something, or is not unique.
        var hashed = zip(folders, readable).map { folder, part in part.name != folder.display || part.truncated }
        while true {
            let names = folders.indices.map { fileName(readable[$0].name, raw: folders[$0].raw, hashed: hashed[$0]) }
            let clashes = Dictionary(grouping: names.indices) { names[$0].lowercased() }.values.filter { $0.count > 1 }
            guard !clashes.isEmpty else { return names }
            for group in clashes {
                if group.contains(where: { !hashed[$0] }) {
                    for index in group { hashed[index] = true }
                } else {
                    // The same raw name twice (or equal hashes): a counter tells them apart.
                    for index in group.dropFirst() { readable[index].name += "-\(index)" }
                }
            }
        }
    }

    private static func fileName(_ readable: String, raw: [UInt8], hashed: Bool) -> String {
        hashed ? "\(readable)-\(Digest.sha256Hex(raw).prefix(10)).mbox" : "\(readable).mbox"
    }

    /// Letters, digits, `-`, `_` and `.` kept (no leading dot), everything else `_`; cut to fit 200 bytes with a hash.
    static func readablePart(_ display: String) -> (name: String, truncated: Bool) {
        var name = String(display.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        if name.isEmpty { name = "_" }
        // Room for "-" + 10 hex digits + ".mbox".
        let room = maximumBytes - 16
        guard name.utf8.count > room else { return (name, false) }
        var cut = ""
        for character in name {
            guard cut.utf8.count + String(character).utf8.count <= room else { break }
            cut.append(character)
        }
        return (cut, true)
    }
}
