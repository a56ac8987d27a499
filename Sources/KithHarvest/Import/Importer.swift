import Foundation
import KithArchive
import KithMail
import Logging

/// What one import did.
public struct ImportReport: Sendable {
    public var account: String
    public var foldersRead = 0
    /// Folders whose messages do not count, with why (junk, trash, drafts...).
    public var foldersSkipped: [(folder: String, reason: String)] = []
    public var messagesRead = 0
    /// Messages read but not counted: drafts, and Takeout's spam, trash and drafts.
    public var messagesSkipped = 0
    /// Messages read before, by an earlier import that was stopped or finished.
    public var messagesAlreadyImported = 0
    /// Distinct messages new to the archive.
    public var newMessages = 0
    public var seconds: Double = 0

    public var summary: String {
        "\(account): imported \(foldersRead) folders, \(messagesRead) messages read, \(newMessages) new"
            + (messagesSkipped > 0 ? ", \(messagesSkipped) not counted (drafts, spam, trash)" : "")
            + (messagesAlreadyImported > 0 ? ", \(messagesAlreadyImported) already imported" : "")
            + (foldersSkipped.isEmpty ? "" : "; skipped " + foldersSkipped.map { "\($0.folder) (\($0.reason))" }.joined(separator: ", "))
            + " in \((seconds * 100).rounded() / 100) s"
    }
}

/// Imports mail left from closed accounts (mbox, Takeout, Apple Mail, Maildir, .eml, a kith final export,
/// Outlook PST) into the archive under one account, with the harvest's extraction and identity rules:
/// mail already archived adds nothing. Each source folder is an archive folder whose cursor is the
/// number of messages committed, so a stopped import, run again, goes on where it stopped.
public struct Importer {
    public var batchSize = 1000
    /// Told after each committed batch (for a progress line on a terminal).
    public var progress: ((String) -> Void)?
    private let archive: Archive
    private let logger: Logger

    /// Archive folder names of imports start with this; a harvest never sends them to a server.
    public static let folderPrefix = "kith-import:"

    public init(archive: Archive, logger: Logger) {
        self.archive = archive
        self.logger = logger
    }

    public func run(paths: [String], account: String, ownerAddresses: [String]) throws -> ImportReport {
        let start = Date()
        var report = ImportReport(account: account)
        let accountID = try archive.accountID(named: account)
        let before = try archive.messageCount()
        let extractor = MessageExtractor(ownerAddresses: ownerAddresses)
        for path in paths {
            var converted: PSTConverter.Converted?
            var source = path
            if PSTConverter.isOutlookFile(path) {
                converted = try PSTConverter.convert(path)
                source = converted!.directory
            }
            defer { converted?.remove() }
            for folder in try ImportSource.folders(at: source) {
                let key = converted.map { folder.key.replacingOccurrences(of: $0.directory, with: URL(fileURLWithPath: path).standardizedFileURL.path) } ?? folder.key
                if let reason = folder.skipReason {
                    report.foldersSkipped.append((folder.name, reason))
                    logger.info("folder not imported: \(reason)", metadata: ["account": "\(account)", "folder": "\(folder.name)"])
                    continue
                }
                try importFolder(folder, key: key, accountID: accountID, extractor: extractor, report: &report)
                report.foldersRead += 1
            }
        }
        try archive.recordImport(accountID: accountID, addresses: ownerAddresses)
        report.newMessages = try archive.messageCount() - before
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    private func importFolder(_ folder: ImportFolder, key: String, accountID: Int64, extractor: MessageExtractor, report: inout ImportReport) throws {
        let state = try archive.folder(accountID: accountID, name: Array((Self.folderPrefix + key).utf8), displayName: "import: \(folder.name)")
        let resumeAfter = state.uidValidity == 1 ? state.lastUID : 0
        var batch: [(ordinal: UInt32, headers: [UInt8], fallbackDate: String?)] = []
        var last: UInt32 = resumeAfter
        var read = 0
        // Extraction and commits run on their own threads, in order, while the next batch is read.
        let extractions = PipelineStage(label: "kith.import.extract"), commits = PipelineStage(label: "kith.import.commit")
        defer {
            try? extractions.drain()
            try? commits.drain()
        }
        let archive = self.archive
        func commit() throws {
            let (fetched, cursor, folderID) = (batch, last, state.id)
            try extractions.submit {
                let messages = fetched.map { extractor.extract(headerBytes: $0.headers, uid: $0.ordinal, internalDate: $0.fallbackDate) }
                try commits.submit { try archive.commit(messages, folderID: folderID, uidValidity: 1, lastUID: cursor) }
            }
            batch.removeAll(keepingCapacity: true)
        }
        func accept(ordinal: UInt32, headers: [UInt8], fallbackDate: String?, draft: Bool) throws {
            guard ordinal > resumeAfter else {
                report.messagesAlreadyImported += 1
                return
            }
            read += 1
            report.messagesRead += 1
            last = ordinal
            let fields = Self.harvestedFields(of: headers)
            if draft || fields.takeoutLabels.map(Self.takeoutLabelsSkip) == true {
                report.messagesSkipped += 1
            } else {
                batch.append((ordinal, fields.block, fallbackDate))
            }
            if read % batchSize == 0 {
                try commit()
                progress?("\(report.account): \(folder.name) \(read) messages")
            }
        }
        switch folder.content {
        case .mbox(let path):
            let modified = Self.modificationTime(path)
            try MboxReader.read(path: path) { message in
                let separatorTime = MboxReader.separatorDate(message.separator).flatMap(MailDate.parse)
                try accept(ordinal: message.ordinal, headers: message.headers,
                           fallbackDate: (separatorTime ?? modified).map(Self.internalDate), draft: false)
            }
        case .files(let paths, let emlx):
            for (index, path) in paths.enumerated() {
                let headers = try Self.headerBlock(ofFile: path, emlx: emlx)
                // Maildir keeps flags in the file name: `...:2,DS` is a draft.
                let flags = path.split(separator: ":").last.map { $0.hasPrefix("2,") ? String($0.dropFirst(2)) : "" } ?? ""
                try accept(ordinal: UInt32(index + 1), headers: headers, fallbackDate: Self.modificationTime(path).map(Self.internalDate),
                           draft: flags.contains("D"))
            }
        }
        try commit()
        try extractions.drain()
        try commits.drain()
    }

    /// Only the fields a harvest fetches, in the message's order and as written (the identity of a message
    /// without Message-ID is then the same whether it was harvested or imported), and Takeout's labels.
    static func harvestedFields(of headers: [UInt8]) -> (block: [UInt8], takeoutLabels: [UInt8]?) {
        var out: [UInt8] = []
        out.reserveCapacity(headers.count)
        var labels: [UInt8]?
        var keep = false
        var inLabels = false
        var start = headers.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // a UTF-8 byte order mark
        while start < headers.count {
            var end = start
            while end < headers.count, headers[end] != 0x0A { end += 1 }
            end = min(end + 1, headers.count)
            let first = headers[start]
            if first == 0x20 || first == 0x09 {
                if keep { out += headers[start..<end] }
                if inLabels { labels? += headers[start..<end] }
            } else {
                var colon = start
                while colon < end, headers[colon] != 0x3A { colon += 1 }
                let name = headers[start..<colon]
                keep = colon < end && wantedFields.contains { matches(name, $0) }
                inLabels = colon < end && matches(name, gmailLabels)
                if keep { out += headers[start..<end] }
                if inLabels { labels = Array(headers[(colon + 1)..<end]) }
            }
            start = end
        }
        return (out + [0x0D, 0x0A], labels)
    }

    private static let wantedFields = MessageExtractor.headerFields.map { Array($0.utf8) }
    private static let gmailLabels = Array("X-GMAIL-LABELS".utf8)

    /// `name` (trailing blanks ignored) equals `upper`, ASCII case-insensitively.
    private static func matches(_ name: ArraySlice<UInt8>, _ upper: [UInt8]) -> Bool {
        var trimmed = name
        while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed = trimmed.dropLast() }
        guard trimmed.count == upper.count else { return false }
        return zip(trimmed, upper).allSatisfy { ($0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0) == $1 }
    }

    /// Google Takeout marks each message with its labels: spam, trash and drafts do not count.
    static func takeoutLabelsSkip(_ value: [UInt8]) -> Bool {
        let labels = TextDecoding.headerText(value.filter { $0 != 0x0D && $0 != 0x0A }).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return labels.contains { label in
            if ["spam", "trash", "drafts", "draft"].contains(label.lowercased()) { return true }
            guard let (role, _) = FolderNames.role(components: [label]) else { return false }
            return [.junk, .trash, .drafts].contains(role)
        }
    }

    /// A message file's header block, read up to its blank line (at most 1 MiB), with CRLF line ends.
    static func headerBlock(ofFile path: String, emlx: Bool) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImportError(path: path, reason: "cannot be read") }
        defer { try? handle.close() }
        var data: [UInt8] = []
        while data.count < MboxReader.maximumHeaderBytes, let chunk = try handle.read(upToCount: 65_536), !chunk.isEmpty {
            data += chunk
            if data.firstRange(of: [0x0A, 0x0A]) != nil || data.firstRange(of: [0x0A, 0x0D, 0x0A]) != nil { break }
        }
        // Apple's .emlx starts with the message's length on a line of its own.
        if emlx, let newline = data.firstIndex(of: 0x0A) { data.removeSubrange(...newline) }
        var out: [UInt8] = []
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let trimmed = line.last == 0x0D ? line.dropLast() : line
            if trimmed.isEmpty { break }
            out += trimmed + [0x0D, 0x0A]
        }
        return out
    }

    static func modificationTime(_ path: String) -> Int64? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970) }
    }

    /// The arrival time in IMAP's INTERNALDATE form, in UTC, as a harvest would have read it from a server
    /// in UTC: a message with neither Message-ID nor Date then has one identity, harvested or imported.
    static func internalDate(_ seconds: Int64) -> String {
        internalDateFormatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Only formats, never mutated after creation.
    private static let internalDateFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd-MMM-yyyy HH:mm:ss '+0000'"
        return formatter
    }()
}
