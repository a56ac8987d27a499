import Foundation
import KithMail
import Logging

/// Log lines on standard error: with sd-daemon priority prefixes (`<4>`) under journald, plain otherwise.
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level = .notice
    var metadata: Logger.Metadata = [:]
    private let journal = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        // One record, one line: server and mail text cannot break it or forge a journald priority.
        let context = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(SafeText.line("\($0.value)"))" }.joined(separator: " ")
        let message = SafeText.line("\(event.message)")
        let text = context.isEmpty ? message : "\(message) [\(context)]"
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(text)\n"
        } else {
            // MailDate's UTC form, the same text as ISO8601DateFormatter's without loading ICU's data (4 MB resident).
            line = "\(MailDate.iso8601(Int64(Date().timeIntervalSince1970))) \(event.level) \(text)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
