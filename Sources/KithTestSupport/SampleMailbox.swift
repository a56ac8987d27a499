import Foundation
import KithMail

/// A deterministic, realistic work mailbox: colleagues, clients, newsletters, automated senders,
/// copies of one message in several folders, junk, trash and drafts, messages without Date or Message-ID,
/// encoded and quoted display names, addresses in mixed case.
///
/// Every message also records what a correct harvest must conclude from it, so tests compute the
/// expected archive from this model, never from kith's own parser.
public struct SampleMailbox: Sendable {
    public var ownerAddresses: [String]
    public var messages: [SampleMessage]

    /// Folders a default harvest reads; the rest (Junk, Trash, Drafts) must leave no trace.
    public static let harvestedFolders: Set<String> = ["INBOX", "Sent", "Archive", "Projects/Kith"]

    public init(ownerAddresses: [String], messages: [SampleMessage]) {
        self.ownerAddresses = ownerAddresses
        self.messages = messages
    }

    /// Writes every message as a Maildir file, with its INTERNALDATE as the file's mtime.
    public func write(to maildir: URL) throws {
        for (index, message) in messages.enumerated() {
            try message.write(to: maildir, fileName: "\(1_600_000_000 + index).M\(index)P1.kith")
        }
    }

    /// Every message file name below `maildir` (their flags suffixes included), to show none changed.
    public static func messageFiles(in maildir: URL) throws -> [String] {
        let enumerator = FileManager.default.enumerator(at: maildir, includingPropertiesForKeys: nil)
        var names: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            let parent = url.deletingLastPathComponent().lastPathComponent
            if parent == "cur" || parent == "new" { names.append(url.path.replacingOccurrences(of: maildir.path, with: "")) }
        }
        return names.sorted()
    }
}

/// One generated message and the facts a harvest must extract from it.
public struct SampleMessage: Sendable {
    public struct Address: Sendable {
        /// The lowercased address the archive must hold.
        public var email: String
        /// How the header spells it (case may differ).
        public var written: String
        /// The decoded display name, or nil.
        public var name: String?
        /// The display name as written in the header (quoted, RFC 2047-encoded...), or nil.
        public var writtenName: String?

        public init(email: String, written: String, name: String?, writtenName: String?) {
            self.email = email
            self.written = written
            self.name = name
            self.writtenName = writtenName
        }

        public var header: String {
            guard let writtenName else { return written }
            return "\(writtenName) <\(written)>"
        }
    }

    public var folder: String
    /// Copies of one message in several folders share this; it stands for the message's identity.
    public var logicalID: String
    public var messageID: String?
    /// Seconds since 1970 of the Date header, and the header text; nil when the message has none.
    public var date: Int64?
    public var dateHeader: String?
    public var internalDate: Int64
    public var from: [Address]
    public var to: [Address]
    public var cc: [Address]
    public var bcc: [Address]
    public var replyTo: [Address] = []
    /// Extra header lines (List-Id, Precedence, Auto-Submitted...).
    public var extraHeaders: [String] = []
    public var automated: Bool
    public var sent: Bool
    public var seen: Bool

    public init(folder: String, logicalID: String, messageID: String?, date: Int64?, dateHeader: String?, internalDate: Int64,
                from: [Address], to: [Address], cc: [Address], bcc: [Address], replyTo: [Address] = [], extraHeaders: [String] = [],
                automated: Bool, sent: Bool, seen: Bool) {
        self.folder = folder
        self.logicalID = logicalID
        self.messageID = messageID
        self.date = date
        self.dateHeader = dateHeader
        self.internalDate = internalDate
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.extraHeaders = extraHeaders
        self.automated = automated
        self.sent = sent
        self.seen = seen
    }

    public func render() -> String {
        var lines: [String] = []
        if let dateHeader { lines.append("Date: \(dateHeader)") }
        lines.append("From: " + from.map(\.header).joined(separator: ", "))
        if !to.isEmpty { lines.append("To: " + to.map(\.header).joined(separator: ",\r\n\t")) }
        if !cc.isEmpty { lines.append("Cc: " + cc.map(\.header).joined(separator: ", ")) }
        if !bcc.isEmpty { lines.append("Bcc: " + bcc.map(\.header).joined(separator: ", ")) }
        if !replyTo.isEmpty { lines.append("Reply-To: " + replyTo.map(\.header).joined(separator: ", ")) }
        if let messageID { lines.append("Message-ID: <\(messageID)>") }
        lines.append("Subject: Sample \(logicalID)")
        lines += extraHeaders
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        return lines.joined(separator: "\r\n") + "\r\n\r\nBody of \(logicalID).\r\n"
    }

    /// Maildir++ names folders in modified UTF-7 on disk, with `.` between levels.
    public func write(to maildir: URL, fileName: String, draft: Bool = false) throws {
        let onDisk = MailboxNameEncoding.modifiedUTF7(folder).replacingOccurrences(of: "/", with: ".")
        let folderDirectory = folder == "INBOX" ? maildir : maildir.appendingPathComponent("." + onDisk)
        let cur = folderDirectory.appendingPathComponent("cur")
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: folderDirectory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let file = cur.appendingPathComponent(fileName + ":2," + (draft ? "D" : "") + (seen ? "S" : ""))
        try Data(render().utf8).write(to: file)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: TimeInterval(internalDate))], ofItemAtPath: file.path)
    }
}

/// Mailbox names as IMAP and Maildir++ store them (RFC 3501 section 5.1.3), for writing test mailboxes.
public enum MailboxNameEncoding {
    public static func modifiedUTF7(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let bytes = pending.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            out += "&" + Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "/", with: ",") + "-"
            pending = []
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return out
    }
}

/// A small deterministic random generator (SplitMix64), so a sample is the same on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
