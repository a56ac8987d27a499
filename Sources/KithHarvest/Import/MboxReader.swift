import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads an mbox file (mboxo or mboxrd, LF or CRLF) one message at a time, keeping only the current
/// message's header block: memory stays the same for any file size. Bodies are skipped by looking for the
/// next `From ` line; Content-Length headers are ignored, as mutt and Python's mailbox do.
struct MboxReader {
    /// One message: its header block (CRLF line ends, without the blank line) and its `From ` line.
    struct Message {
        var ordinal: UInt32
        var headers: [UInt8]
        var separator: [UInt8]
    }

    /// Header blocks longer than this are cut: the extraction reads no more anyway.
    static let maximumHeaderBytes = 1 << 20
    static let chunkSize = 1 << 20

    /// Calls `body` for each message, numbered from 1 in file order. Lines before the first `From ` are ignored.
    static func read(path: String, body: (Message) throws -> Void) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ImportError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var state = State()
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var carry: [UInt8] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, chunkSize) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ImportError(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            try buffer.withUnsafeBufferPointer { all in
                var start = 0
                let bytes = all.baseAddress!
                while start < count {
                    guard let found = memchr(bytes + start, 0x0A, count - start) else {
                        carry.append(contentsOf: all[start..<count])
                        if carry.count > maximumHeaderBytes * 4 { carry.removeAll(keepingCapacity: true) }  // an endless line in a body
                        return
                    }
                    let end = bytes.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    if carry.isEmpty {
                        try state.line(UnsafeBufferPointer(rebasing: all[start..<end]), body: body)
                    } else {
                        carry.append(contentsOf: all[start..<end])
                        try carry.withUnsafeBufferPointer { try state.line($0, body: body) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    start = end + 1
                }
            }
        }
        if !carry.isEmpty { try carry.withUnsafeBufferPointer { try state.line($0, body: body) } }
        try state.finish(body: body)
    }

    /// Where the reader is: before the first message, in a header block, or in a body.
    private struct State {
        enum Place { case preamble, headers, body }
        var place = Place.preamble
        var previousBlank = true
        var message = Message(ordinal: 0, headers: [], separator: [])

        mutating func line(_ raw: UnsafeBufferPointer<UInt8>, body: (Message) throws -> Void) throws {
            var line = raw
            if let last = line.last, last == 0x0D { line = UnsafeBufferPointer(rebasing: line[..<(line.count - 1)]) }
            let blank = line.isEmpty
            defer { previousBlank = blank }
            switch place {
            case .preamble, .body:
                guard MboxReader.isSeparator(line, afterBlank: previousBlank || place == .preamble) else { return }
                message = Message(ordinal: message.ordinal + 1, headers: [], separator: Array(line))
                place = .headers
            case .headers:
                if blank {
                    try body(message)
                    place = .body
                } else if message.headers.count < MboxReader.maximumHeaderBytes {
                    message.headers.append(contentsOf: line)
                    message.headers.append(contentsOf: [0x0D, 0x0A])
                }
            }
        }

        mutating func finish(body: (Message) throws -> Void) throws {
            if place == .headers { try body(message) }
        }
    }

    /// A `From ` line starts a message when it follows a blank line (or the file's start) and looks like
    /// one: `From sender date`, with a time of day in it. mboxrd escapes body lines as `>From `; this
    /// also keeps an unescaped "From here on, ..." in an mboxo body from splitting a message.
    static func isSeparator(_ line: UnsafeBufferPointer<UInt8>, afterBlank: Bool) -> Bool {
        guard afterBlank, line.count >= 7, line[0] == 0x46, line[1] == 0x72, line[2] == 0x6F, line[3] == 0x6D, line[4] == 0x20 else {
            return false
        }
        // hh:mm somewhere after the sender.
        var index = 5
        while index + 4 < line.count {
            if line[index + 2] == 0x3A, isDigit(line[index]), isDigit(line[index + 1]), isDigit(line[index + 3]), isDigit(line[index + 4]) {
                return true
            }
            index += 1
        }
        return false
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// The date of a `From sender Sat Jan  3 01:05:34 1996` line (an asctime date, perhaps with a zone),
    /// as RFC 5322 date text; nil when it holds no recognisable date.
    static func separatorDate(_ line: [UInt8]) -> String? {
        let words = String(decoding: line, as: UTF8.self).split(separator: " ").dropFirst(2).map(String.init)
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        guard let month = words.first(where: { months.contains($0.prefix(3).lowercased()) && $0.count >= 3 }),
              let time = words.first(where: { $0.filter { $0 == ":" }.count >= 1 && $0.first?.isNumber == true }),
              let year = words.last(where: { $0.count == 4 && Int($0) != nil }),
              let monthIndex = words.firstIndex(of: month),
              let day = words[(monthIndex + 1)...].first(where: { Int($0) != nil && $0.count <= 2 }) else { return nil }
        let zone = words.first { ($0.hasPrefix("+") || $0.hasPrefix("-")) && $0.count == 5 } ?? "+0000"
        return "\(day) \(month.prefix(3)) \(year) \(time) \(zone)"
    }
}

/// A file or directory that could not be imported, named.
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
