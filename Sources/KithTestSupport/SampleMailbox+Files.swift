import Foundation

/// The generated mail written the ways people keep mail from closed accounts: an mbox (Google Takeout's
/// with labels), a tree of `.eml` files, an Apple Mail bundle. Bodies carry `From ` lines to trap readers.
extension SampleMailbox {
    /// Takeout's label for each folder of the sample.
    public static let takeoutLabels = [
        "INBOX": "Inbox,Opened", "Sent": "Sent", "Archive": "Archived", "Projects/Kith": "Projects/Kith,Opened",
        "Junk": "Spam", "Trash": "Trash", "Drafts": "Drafts",
    ]

    /// One message as an mbox entry: the `From ` line dated by its arrival time, the message, a body with
    /// an escaped (`>From `) and an unescaped `From ` line, and a blank line.
    public static func mboxEntry(_ message: SampleMessage, extraHeaders: [String] = [], lineEnd: String = "\n") -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM d HH:mm:ss yyyy"
        let separator = "From \(message.from.first?.email ?? "MAILER-DAEMON") \(formatter.string(from: Date(timeIntervalSince1970: TimeInterval(message.internalDate))))"
        var text = message.render()
        if !extraHeaders.isEmpty { text = extraHeaders.map { $0 + "\r\n" }.joined() + text }
        text += "\r\n>From the archive: quoted.\r\nFrom here on, a body line that is not a separator.\r\n\r\nFrom me, regards.\r\n"
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        return ([separator] + lines.map(String.init)).joined(separator: lineEnd) + lineEnd + lineEnd
    }

    /// Every message into one mbox file in Takeout's shape: each message once, with its X-Gmail-Labels.
    public func writeTakeoutMbox(to path: String, lineEnd: String = "\n") throws {
        var seen: Set<String> = []
        var out = ""
        for message in messages where seen.insert(message.logicalID).inserted {
            let labels = Self.takeoutLabels[message.folder] ?? message.folder
            out += Self.mboxEntry(message, extraHeaders: ["X-GM-THRID: 1\(message.logicalID.hashValue & 0xFFFF)", "X-Gmail-Labels: \(labels)"], lineEnd: lineEnd)
        }
        try Data(out.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// One `.eml` file per message, in a directory per folder (`Projects/Kith/...`), dated by arrival time.
    public func writeEmlTree(to directory: URL) throws {
        for (index, message) in messages.enumerated() {
            let folder = directory.appendingPathComponent(message.folder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("\(index).eml")
            try Data(message.render().utf8).write(to: file)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: TimeInterval(message.internalDate))], ofItemAtPath: file.path)
        }
    }
}
