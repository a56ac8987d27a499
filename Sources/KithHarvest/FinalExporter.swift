import Foundation
import KithArchive
import KithConfig
import KithIMAP
import KithIMAPWire
import KithMail
import Logging

/// The final full export of an account before it closes: every message of every folder as mboxrd
/// (one file per folder), the account's contacts as vCard and CSV, and a manifest with counts and SHA-256s.
///
/// Read-only (`EXAMINE`, `BODY.PEEK[]`), resumable (an interrupted export continues where it stopped),
/// files 0600 in a 0700 directory. Blocking; call it from a thread that may block.
public struct FinalExporter: Sendable {
    public var chunkSize: UInt32 = 100
    /// Largest single message accepted; a message is held in memory whole while it is written.
    public var maximumMessageBytes = 256 * 1024 * 1024
    private let harvester: Harvester
    private let archive: Archive
    private let logger: Logger

    public init(archive: Archive, logger: Logger, harvester: Harvester? = nil) {
        self.archive = archive
        self.logger = logger
        self.harvester = harvester ?? Harvester(archive: archive, logger: logger)
    }

    /// Exports `account` into `directory` (created 0700) and returns the manifest it wrote there.
    public func export(_ account: AccountConfig, to directory: String) throws -> ExportManifest {
        let started = Date()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(directory, 0o700)
        var progress = ExportProgress.load(directory: directory)
        var settings = account
        settings.allowPlaintext = account.allowPlaintext
        let session = try harvester.connect(settings)
        defer { session.logout() }
        let policy = FolderPolicy(selection: account.folders)
        var folders: [ExportManifest.Folder] = []
        for entry in try session.listMailboxes() {
            let name = ModifiedUTF7.decode(entry.name)
            guard policy.includes(entry, displayName: name) || (entry.has("\\Drafts") && !entry.has("\\Noselect")) else { continue }
            let status = try session.examine(entry.name)
            let fileName = Self.fileName(for: name) + ".mbox"
            let path = (directory as NSString).appendingPathComponent(fileName)
            var state = progress.folders[name] ?? ExportProgress.Folder(uidValidity: status.uidValidity, lastUID: 0, bytes: 0, count: 0)
            if state.uidValidity != status.uidValidity {
                state = ExportProgress.Folder(uidValidity: status.uidValidity, lastUID: 0, bytes: 0, count: 0)
            }
            let handle = try Self.openTruncated(path, to: state.bytes)
            defer { try? handle.close() }
            if status.exists > 0, let uidNext = status.uidNext, state.lastUID + 1 < uidNext {
                var ranges: [ClosedRange<UInt32>] = []
                var first = state.lastUID + 1
                while first < uidNext {
                    let last = min(uidNext - 1, first + chunkSize - 1)
                    ranges.append(first...last)
                    first = last + 1
                }
                var pending: [(uid: UInt32, bytes: [UInt8])] = []
                try session.uidFetch(ranges: ranges, items: "UID INTERNALDATE BODY.PEEK[]", window: 2, onMessage: { attributes in
                    guard let uid = attributes.uid, let body = attributes.bodySections.first(where: { $0.section.isEmpty })?.data else { return }
                    pending.append((uid, MboxWriter.entry(body, internalDate: attributes.internalDate)))
                }, onRangeComplete: { range in
                    let done = pending.filter { $0.uid <= range.upperBound }.sorted { $0.uid < $1.uid }
                    pending.removeAll { $0.uid <= range.upperBound }
                    for message in done {
                        try handle.write(contentsOf: message.bytes)
                        state.bytes += UInt64(message.bytes.count)
                        state.count += 1
                    }
                    try handle.synchronize()
                    state.lastUID = range.upperBound
                    progress.folders[name] = state
                    try progress.save(directory: directory)
                })
            }
            progress.folders[name] = state
            try progress.save(directory: directory)
            folders.append(ExportManifest.Folder(name: name, file: fileName, serverCount: Int(status.exists), exportedCount: state.count,
                                                 bytes: state.bytes, sha256: try SHA256Stream.file(path)))
        }
        let contacts = try archive.contacts(ContactFilter(account: account.name))
        var files: [ExportManifest.File] = []
        for (name, text) in [("contacts.vcf", ContactFiles.vCard(contacts)), ("contacts.csv", ContactFiles.googleCSV(contacts))] {
            let path = (directory as NSString).appendingPathComponent(name)
            try Self.writePrivate(path, Data(text.utf8))
            files.append(ExportManifest.File(name: name, bytes: UInt64(text.utf8.count), sha256: try SHA256Stream.file(path)))
        }
        let manifest = ExportManifest(account: account.name, directory: directory, startedAt: MailDate.iso8601(Int64(started.timeIntervalSince1970)),
                                      finishedAt: MailDate.iso8601(Int64(Date().timeIntervalSince1970)), folders: folders,
                                      contacts: contacts.count, files: files)
        try Self.writePrivate((directory as NSString).appendingPathComponent("manifest.json"), try manifest.json())
        for folder in folders where !folder.complete {
            logger.error("final export incomplete: server has \(folder.serverCount) messages, exported \(folder.exportedCount)",
                         metadata: ["account": "\(account.name)", "folder": "\(folder.name)"])
        }
        return manifest
    }

    static func fileName(for folder: String) -> String {
        String(folder.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    private static func openTruncated(_ path: String, to length: UInt64) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw CocoaError(.fileWriteNoPermission) }
        try handle.truncate(atOffset: length)
        try handle.seekToEnd()
        return handle
    }

    private static func writePrivate(_ path: String, _ data: Data) throws {
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        chmod(path, 0o600)
    }
}

/// Writes messages in the mboxrd format: a `From ` separator line, LF line ends, `>`-quoting of `From ` lines.
public enum MboxWriter {
    public static func entry(_ message: [UInt8], internalDate: String?) -> [UInt8] {
        var out = Array("From MAILER-DAEMON \(asctime(internalDate))\n".utf8)
        out.reserveCapacity(message.count + 64)
        var lineStart = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if lineStart {
                // mboxrd: a line of zero or more ">" then "From " gets one more ">".
                var probe = index
                while probe < message.count, message[probe] == UInt8(ascii: ">") { probe += 1 }
                if message.count - probe >= 5, message[probe..<probe + 5].elementsEqual("From ".utf8) { out.append(UInt8(ascii: ">")) }
            }
            if byte == 0x0D, index + 1 < message.count, message[index + 1] == 0x0A {
                index += 1
                continue
            }
            out.append(byte)
            lineStart = byte == 0x0A
            index += 1
        }
        if out.last != 0x0A { out.append(0x0A) }
        out.append(0x0A)
        return out
    }

    /// `Tue Jul 17 09:44:25 1996` from an INTERNALDATE, in UTC.
    static func asctime(_ internalDate: String?) -> String {
        let seconds = internalDate.flatMap(MailDate.parse) ?? 0
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        return formatter.string(from: date)
    }
}

/// Where an interrupted export stands, kept next to it as `.progress.json`.
struct ExportProgress: Codable {
    struct Folder: Codable {
        var uidValidity: UInt32
        var lastUID: UInt32
        var bytes: UInt64
        var count: Int
    }

    var folders: [String: Folder] = [:]

    static func load(directory: String) -> ExportProgress {
        let path = (directory as NSString).appendingPathComponent(".progress.json")
        guard let data = FileManager.default.contents(atPath: path) else { return ExportProgress() }
        return (try? JSONDecoder().decode(ExportProgress.self, from: data)) ?? ExportProgress()
    }

    func save(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(".progress.json")
        let temporary = path + ".tmp"
        FileManager.default.createFile(atPath: temporary, contents: try JSONEncoder().encode(self), attributes: [.posixPermissions: 0o600])
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}

/// `manifest.json`: what an export holds and whether it is complete.
public struct ExportManifest: Sendable, Codable {
    public struct Folder: Sendable, Codable {
        public var name: String
        public var file: String
        public var serverCount: Int
        public var exportedCount: Int
        public var bytes: UInt64
        public var sha256: String
        public var complete: Bool { exportedCount == serverCount }

        enum CodingKeys: String, CodingKey {
            case name, file, bytes, sha256, complete
            case serverCount = "server_count"
            case exportedCount = "exported_count"
        }

        public init(name: String, file: String, serverCount: Int, exportedCount: Int, bytes: UInt64, sha256: String) {
            self.name = name
            self.file = file
            self.serverCount = serverCount
            self.exportedCount = exportedCount
            self.bytes = bytes
            self.sha256 = sha256
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(file, forKey: .file)
            try container.encode(serverCount, forKey: .serverCount)
            try container.encode(exportedCount, forKey: .exportedCount)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(sha256, forKey: .sha256)
            try container.encode(complete, forKey: .complete)
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            file = try container.decode(String.self, forKey: .file)
            serverCount = try container.decode(Int.self, forKey: .serverCount)
            exportedCount = try container.decode(Int.self, forKey: .exportedCount)
            bytes = try container.decode(UInt64.self, forKey: .bytes)
            sha256 = try container.decode(String.self, forKey: .sha256)
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

    /// One line for people: `412 messages in 4 folders, 96 contacts (complete)`.
    public var summary: String {
        "\(exportedMessages) messages in \(folders.count) folders, \(contacts) contacts" + (complete ? " (complete)" : " (INCOMPLETE: see manifest.json)")
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var object = try JSONSerialization.jsonObject(with: try encoder.encode(self)) as! [String: Any]
        object["complete"] = complete
        object["exported_messages"] = exportedMessages
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
}
