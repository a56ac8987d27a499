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
    /// Messages per FETCH of whole messages.
    public var chunkSize: UInt32 = 100
    /// Messages larger than this are fetched in pieces of this size (`BODY.PEEK[]<offset.length>`), and
    /// a FETCH of small messages asks for at most this much: what the export holds in memory at once.
    public var pieceBytes = 2 * 1024 * 1024
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
                // Sizes first, then small messages in one FETCH and large ones in pieces: memory stays
                // bounded by `pieceBytes` whatever a message weighs.
                var sizes: [(uid: UInt32, size: UInt64, date: String?)] = []
                try session.uidFetch(ranges: ranges, items: "UID RFC822.SIZE INTERNALDATE", window: 4, onMessage: { attributes in
                    if let uid = attributes.uid { sizes.append((uid, attributes.size ?? 0, attributes.internalDate)) }
                }, onRangeComplete: { _ in })
                sizes.sort { $0.uid < $1.uid }
                var index = 0
                while index < sizes.count {
                    var batch: [(uid: UInt32, size: UInt64, date: String?)] = []
                    var batchBytes: UInt64 = 0
                    while index < sizes.count, batch.count < Int(chunkSize), batchBytes + sizes[index].size <= UInt64(pieceBytes) {
                        batch.append(sizes[index])
                        batchBytes += sizes[index].size
                        index += 1
                    }
                    if batch.isEmpty {
                        let large = sizes[index]
                        index += 1
                        try writeInPieces(large, session: session, to: handle, state: &state)
                    } else {
                        var bodies: [UInt32: [UInt8]] = [:]
                        try session.uidFetch(uids: batch.map(\.uid), items: "UID BODY.PEEK[]") { attributes in
                            if let uid = attributes.uid, let body = attributes.bodySections.first(where: { $0.section.isEmpty })?.data { bodies[uid] = body }
                        }
                        for message in batch {
                            // A message expunged since the sizes were read is simply not there any more.
                            guard let body = bodies[message.uid] else { continue }
                            let entry = MboxWriter.entry(body, internalDate: message.date)
                            try handle.write(contentsOf: entry)
                            state.bytes += UInt64(entry.count)
                            state.count += 1
                        }
                    }
                    try handle.synchronize()
                    state.lastUID = index < sizes.count ? sizes[index].uid - 1 : uidNext - 1
                    progress.folders[name] = state
                    try progress.save(directory: directory)
                }
            }
            progress.folders[name] = state
            try progress.save(directory: directory)
            folders.append(ExportManifest.Folder(name: name, file: fileName, serverCount: Int(status.exists), exportedCount: state.count,
                                                 bytes: state.bytes, sha256: try SHA256Stream.file(path)))
        }
        let contacts = try archive.people(ContactFilter(account: account.name), now: Int64(Date().timeIntervalSince1970))
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

    /// Streams one large message into the mbox in pieces, never holding it whole.
    private func writeInPieces(_ message: (uid: UInt32, size: UInt64, date: String?), session: IMAPSession,
                               to handle: FileHandle, state: inout ExportProgress.Folder) throws {
        var encoder = MboxEncoder()
        var written = 0
        var out = MboxWriter.separator(internalDate: message.date)
        var offset: UInt64 = 0
        while offset < message.size {
            var piece: [UInt8] = []
            try session.uidFetch(uids: [message.uid], items: "UID BODY.PEEK[]<\(offset).\(pieceBytes)>") { attributes in
                piece = attributes.bodySections.first?.data ?? []
            }
            if piece.isEmpty { break }
            encoder.feed(piece, into: &out)
            try handle.write(contentsOf: out)
            written += out.count
            out.removeAll(keepingCapacity: true)
            offset += UInt64(piece.count)
        }
        encoder.finish(into: &out)
        try handle.write(contentsOf: out)
        written += out.count
        state.bytes += UInt64(written)
        state.count += 1
    }

    static func fileName(for folder: String) -> String {
        String(folder.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    private static func openTruncated(_ path: String, to length: UInt64) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path),
           !FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
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
    /// One whole message as an mbox entry.
    public static func entry(_ message: [UInt8], internalDate: String?) -> [UInt8] {
        var out = separator(internalDate: internalDate)
        var encoder = MboxEncoder()
        encoder.feed(message, into: &out)
        encoder.finish(into: &out)
        return out
    }

    /// The `From ` line that opens an entry.
    public static func separator(internalDate: String?) -> [UInt8] {
        Array("From MAILER-DAEMON \(asctime(internalDate))\n".utf8)
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

/// The body of one mboxrd entry, fed in pieces of any size: CRLF becomes LF, and a line of zero or
/// more `>` followed by `From ` gets one more `>`, even when a piece ends in the middle of such a line.
public struct MboxEncoder {
    private static let from = Array("From ".utf8)
    /// The start of the current line, held back while it could still turn out to be a `From ` line.
    private var head: [UInt8] = []
    private var atLineStart = true
    private var pendingCR = false
    private var lastByte: UInt8 = 0x0A

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>, into out: inout [UInt8]) {
        for byte in bytes {
            if pendingCR {
                pendingCR = false
                if byte != 0x0A { emit(0x0D, into: &out) }
            }
            if byte == 0x0D {
                pendingCR = true
                continue
            }
            emit(byte, into: &out)
        }
    }

    /// Flushes what is held back and closes the entry with a blank line.
    public mutating func finish(into out: inout [UInt8]) {
        if pendingCR { emit(0x0D, into: &out) }
        pendingCR = false
        out += head
        if let last = head.last { lastByte = last }
        head.removeAll()
        if lastByte != 0x0A { out.append(0x0A) }
        out.append(0x0A)
        atLineStart = true
        lastByte = 0x0A
    }

    private mutating func emit(_ byte: UInt8, into out: inout [UInt8]) {
        guard atLineStart else {
            out.append(byte)
            lastByte = byte
            if byte == 0x0A { atLineStart = true }
            return
        }
        head.append(byte)
        let quotes = head.prefix { $0 == UInt8(ascii: ">") }.count
        let rest = head[quotes...]
        if rest.count <= Self.from.count, rest.elementsEqual(Self.from.prefix(rest.count)) {
            guard rest.count == Self.from.count else { return }  // still undecided
            out.append(UInt8(ascii: ">"))
        }
        out += head
        lastByte = byte
        atLineStart = byte == 0x0A
        head.removeAll(keepingCapacity: true)
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
        guard FileManager.default.createFile(atPath: temporary, contents: try JSONEncoder().encode(self), attributes: [.posixPermissions: 0o600]),
              rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
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
