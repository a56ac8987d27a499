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
    /// The largest message kith believes a server about (RFC822.SIZE); a larger claim is a protocol error.
    public static let maximumMessageBytes: UInt64 = 4 << 30
    private let harvester: Harvester
    private let archive: Archive
    private let logger: Logger

    public init(archive: Archive, logger: Logger, harvester: Harvester? = nil) {
        self.archive = archive
        self.logger = logger
        self.harvester = harvester ?? Harvester(archive: archive, logger: logger)
    }

    /// Whether the final export takes a folder: every folder that can hold mail (drafts and the outbox too),
    /// not junk, trash or Exchange's folders without mail, whose roles come from RFC 6154 attributes or,
    /// without them, from the names of 18 languages (`FolderNames`); `folders.include` and `exclude` apply.
    static func exports(_ entry: ListEntry, role: FolderRole?, selection: FolderSelection) -> Bool {
        if entry.has("\\Noselect") || entry.has("\\NonExistent") { return false }
        let name = ModifiedUTF7.decode(entry.name)
        if selection.exclude.contains(where: { FolderPolicy.matches(name, pattern: $0) }) { return false }
        if !selection.include.isEmpty { return selection.include.contains { FolderPolicy.matches(name, pattern: $0) } }
        switch role {
        case .junk?, .trash?, .noMail?: return false
        default: return true
        }
    }

    /// Exports `account` into `directory` (created 0700), reads every file back against the manifest,
    /// and returns the manifest it wrote there. A folder the server will not open, or whose file cannot be
    /// made, is listed as not exported with the reason; the others go on. Connection failures throw: run again to resume.
    public func export(_ account: AccountConfig, to directory: String) throws -> ExportManifest {
        let started = Date()
        try PrivateFile.makeDirectory(directory)
        var progress = ExportProgress.load(directory: directory)
        let session = try harvester.connect(account)
        defer { session.logout() }
        let listing = try session.listMailboxes()
        let roles = Dictionary(FolderPlan.make(listing: listing, selection: FolderSelection()).folders.map { ($0.name, $0.role) },
                               uniquingKeysWith: { first, _ in first })
        let entries = listing.filter { Self.exports($0, role: roles[$0.name] ?? nil, selection: account.folders) }
        let names = entries.map { ModifiedUTF7.decode($0.name) }
        let files = ExportFileNames.assign(zip(entries, names).map { (raw: $0.name, display: $1) })
        var folders: [ExportManifest.Folder] = []
        for (index, entry) in entries.enumerated() {
            var folder = ExportManifest.Folder(name: names[index], rawName: String(decoding: entry.name, as: UTF8.self), file: nil, serverCount: 0)
            folder.role = roles[entry.name]??.rawValue
            do {
                folder = try exportFolder(entry.name, into: folder, file: files[index], session: session, directory: directory, progress: &progress)
            } catch let failure as FolderNotExported {
                folder.reason = failure.reason
                logger.error("folder not exported; the other folders go on: \(failure.reason)",
                             metadata: ["account": "\(account.name)", "folder": "\(names[index])"])
            } catch {
                throw FinalExportError(folder: names[index], reason: "\(error)")
            }
            folders.append(folder)
        }
        let contacts = try archive.people(ContactFilter(account: account.name), now: Int64(Date().timeIntervalSince1970))
        var contactFiles: [ExportManifest.File] = []
        for (name, text) in [("contacts.vcf", ContactFiles.vCard(contacts)), ("contacts.csv", ContactFiles.googleCSV(contacts))] {
            let bytes = Array(text.utf8)
            try PrivateFile.write(bytes, to: (directory as NSString).appendingPathComponent(name))
            contactFiles.append(ExportManifest.File(name: name, bytes: UInt64(bytes.count), sha256: Digest.sha256Hex(bytes)))
        }
        let written = ExportManifest(account: account.name, directory: directory, startedAt: MailDate.iso8601(Int64(started.timeIntervalSince1970)),
                                     finishedAt: MailDate.iso8601(Int64(Date().timeIntervalSince1970)), folders: folders,
                                     contacts: contacts.count, files: contactFiles)
        let (manifest, problems) = ExportVerifier.verify(written, in: directory)
        try PrivateFile.write(Array(try manifest.json()), to: (directory as NSString).appendingPathComponent("manifest.json"))
        for problem in problems {
            logger.error("final export does not read back as written: \(problem)", metadata: ["account": "\(account.name)"])
        }
        for folder in manifest.folders where folder.exported && !folder.complete {
            logger.error("final export incomplete: server has \(folder.serverCount) messages, exported \(folder.exportedCount)",
                         metadata: ["account": "\(account.name)", "folder": "\(folder.name)"])
        }
        return manifest
    }

    /// Why the export stopped (the connection, the server's bytes), and in which folder; run again to resume.
    public struct FinalExportError: Error, CustomStringConvertible {
        public var folder: String
        public var reason: String
        public var description: String { "folder \"\(folder)\": \(reason)" }
    }

    /// Why one folder is not in the export; the export goes on with the others.
    private struct FolderNotExported: Error {
        var reason: String
    }

    /// Writes one folder's messages not yet in its mbox file and returns its manifest entry (not yet verified).
    private func exportFolder(_ mailbox: [UInt8], into entry: ExportManifest.Folder, file: String, session: IMAPSession,
                              directory: String, progress: inout ExportProgress) throws -> ExportManifest.Folder {
        guard mailbox.count <= Harvester.maximumFolderNameBytes else {
            throw FolderNotExported(reason: "mailbox name of \(mailbox.count) bytes is longer than \(Harvester.maximumFolderNameBytes)")
        }
        let status: MailboxStatus
        do {
            status = try session.examine(mailbox)
        } catch {
            guard case .commandFailed(let command, let status) = error else { throw error }
            throw FolderNotExported(reason: "\(command): \(status.summary)")
        }
        var folder = entry
        folder.serverCount = Int(status.exists)
        let key = mailbox.map { String($0, radix: 16) }.joined(separator: ".")
        let path = (directory as NSString).appendingPathComponent(file)
        var state = progress.folders[key] ?? ExportProgress.Folder(uidValidity: status.uidValidity, file: file)
        if state.uidValidity != status.uidValidity || state.file != file {
            if state.file != file { unlink((directory as NSString).appendingPathComponent(state.file)) }
            state = ExportProgress.Folder(uidValidity: status.uidValidity, file: file)
        }
        let writer: HashingWriter
        do {
            writer = try HashingWriter(path: path, keeping: state.bytes)
        } catch let failure as PrivateFile.Failure {
            throw FolderNotExported(reason: "cannot write \(file): \(failure.reason)")
        }
        do {
            try fetchMessages(status, after: state.lastUID, session: session, writer: writer, state: &state) { state in
                progress.folders[key] = state
                try progress.save(directory: directory)
            }
        } catch {
            guard case IMAPError.commandFailed(let command, let status) = error else { throw error }
            throw FolderNotExported(reason: "\(command): \(status.summary)")
        }
        progress.folders[key] = state
        try progress.save(directory: directory)
        folder.file = file
        folder.exportedCount = state.count
        folder.bytes = state.bytes
        folder.sha256 = writer.finish()
        return folder
    }

    /// Appends the messages above `lastUID` to the file: sizes first, then small messages in one FETCH and
    /// large ones in pieces, so memory stays bounded by `pieceBytes` whatever a message weighs.
    private func fetchMessages(_ status: MailboxStatus, after lastUID: UInt32, session: IMAPSession, writer: HashingWriter,
                               state: inout ExportProgress.Folder, saved: (ExportProgress.Folder) throws -> Void) throws {
        guard status.exists > 0, lastUID < UInt32.max else { return }
        let highest = status.uidNext.map { $0 &- 1 } ?? UInt32.max
        guard lastUID < highest else { return }
        var sizes: [(uid: UInt32, size: UInt64, date: String?)] = []
        // One command lists what exists, however sparse the UIDs: never a command per empty range.
        try session.uidFetch(ranges: [(lastUID + 1)...highest], items: "UID RFC822.SIZE INTERNALDATE", window: 1, onMessage: { attributes in
            guard let uid = attributes.uid, uid > lastUID, uid <= highest else { return }  // UID 0 is no UID
            if let size = attributes.size, size > Self.maximumMessageBytes {
                throw IMAPError.protocolViolation("UID \(uid): RFC822.SIZE \(size) is beyond the \(Self.maximumMessageBytes >> 30) GiB a message can be")
            }
            guard sizes.count < IMAPSession.maximumUntaggedResponses else {
                throw IMAPError.protocolViolation("more than \(sizes.count) messages listed")
            }
            sizes.append((uid, attributes.size ?? 0, attributes.internalDate))
        }, onRangeComplete: { _ in })
        sizes.sort { $0.uid < $1.uid }
        let limit = UInt64(pieceBytes)
        var index = 0
        while index < sizes.count {
            var batch: [(uid: UInt32, size: UInt64, date: String?)] = []
            var batchBytes: UInt64 = 0
            while index < sizes.count, batch.count < Int(chunkSize), sizes[index].size <= limit - batchBytes {
                batch.append(sizes[index])
                batchBytes += sizes[index].size
                index += 1
            }
            if batch.isEmpty {
                let large = sizes[index]
                index += 1
                try writeInPieces(large, session: session, to: writer, state: &state)
            } else {
                var bodies: [UInt32: [UInt8]] = [:]
                try session.uidFetch(uids: batch.map(\.uid), items: "UID BODY.PEEK[]") { attributes in
                    if let uid = attributes.uid, let body = attributes.bodySections.first(where: { $0.section.isEmpty })?.data { bodies[uid] = body }
                }
                for message in batch {
                    // A message expunged since the sizes were read, or one the server answered without data, is not there.
                    guard let body = bodies[message.uid] else { continue }
                    let entry = MboxWriter.entry(body, internalDate: message.date)
                    try writer.write(entry)
                    state.bytes += UInt64(entry.count)
                    state.count += 1
                }
            }
            try writer.synchronize()
            state.lastUID = index < sizes.count ? sizes[index].uid - 1 : max(sizes[sizes.count - 1].uid, status.uidNext.map { $0 &- 1 } ?? 0)
            try saved(state)
        }
    }

    /// Streams one large message into the mbox in pieces, never holding it whole.
    private func writeInPieces(_ message: (uid: UInt32, size: UInt64, date: String?), session: IMAPSession,
                               to handle: HashingWriter, state: inout ExportProgress.Folder) throws {
        var encoder = MboxEncoder()
        var written = 0
        var out = MboxWriter.separator(internalDate: message.date)
        var offset: UInt64 = 0
        while offset < message.size {
            var piece: [UInt8] = []
            // The size is the server's word: a piece that comes back empty ends the message.
            try session.uidFetch(uids: [message.uid], items: "UID BODY.PEEK[]<\(offset).\(pieceBytes)>") { attributes in
                piece = attributes.bodySections.first?.data ?? []
            }
            if piece.isEmpty { break }
            encoder.feed(piece, into: &out)
            let short = piece.count < pieceBytes
            try handle.write(out)
            written += out.count
            out.removeAll(keepingCapacity: true)
            offset += UInt64(piece.count)
            if short { break }  // the message ended before the size the server claimed
        }
        // Answered without data (Exchange does this): not in the export, and not counted as if it were.
        if offset == 0 { return }
        encoder.finish(into: &out)
        try handle.write(out)
        written += out.count
        state.bytes += UInt64(written)
        state.count += 1
    }
}

/// Where an interrupted export stands, kept next to it as `.progress.json`, per folder keyed by its raw name.
struct ExportProgress: Codable {
    struct Folder: Codable {
        var uidValidity: UInt32
        var file: String
        var lastUID: UInt32 = 0
        var bytes: UInt64 = 0
        var count: Int = 0
    }

    var folders: [String: Folder] = [:]

    static func load(directory: String) -> ExportProgress {
        let path = (directory as NSString).appendingPathComponent(".progress.json")
        guard let data = FileManager.default.contents(atPath: path) else { return ExportProgress() }
        return (try? JSONDecoder().decode(ExportProgress.self, from: data)) ?? ExportProgress()
    }

    func save(directory: String) throws {
        try PrivateFile.write(Array(try JSONEncoder().encode(self)), to: (directory as NSString).appendingPathComponent(".progress.json"))
    }
}

/// An mbox file being appended to, hashed as it is written (the part kept from an earlier run is hashed when opened).
final class HashingWriter {
    private let handle: FileHandle
    private let hash = SHA256Stream()

    /// Opens `path` (created 0600), keeps its first `length` bytes and hashes them, and writes after them.
    init(path: String, keeping length: UInt64) throws {
        handle = try PrivateFile.openForUpdate(path)
        try handle.truncate(atOffset: length)
        try handle.seek(toOffset: 0)
        var left = length
        while left > 0, let chunk = try handle.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty {
            chunk.withUnsafeBytes { hash.update($0) }
            left -= UInt64(chunk.count)
        }
        try handle.seekToEnd()
    }

    func write(_ bytes: [UInt8]) throws {
        bytes.withUnsafeBytes { hash.update($0) }
        try handle.write(contentsOf: bytes)
    }

    func synchronize() throws { try handle.synchronize() }

    /// The SHA-256 of everything in the file; closes it.
    func finish() -> String {
        try? handle.close()
        return hash.finish()
    }
}
