import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scriptable IMAP server on a loopback port, for what Dovecot cannot be made to do: hostile numbers
/// and bytes, floods, trickling literals, refused literals. It serves a small model of mailboxes the
/// ordinary way, and a test's `script` may answer any command itself, per connection.
public final class FakeIMAPServer: @unchecked Sendable {
    /// One mailbox: its raw name as LIST sends it, attributes, UIDs and message bytes.
    public struct Mailbox: Sendable {
        public var name: String
        public var attributes: [String]
        public var uidValidity: UInt32
        public var messages: [(uid: UInt32, bytes: [UInt8], internalDate: String)]
        public var uidNext: UInt32?

        public init(name: String, attributes: [String] = [], uidValidity: UInt32 = 7, messages: [(uid: UInt32, bytes: [UInt8], internalDate: String)], uidNext: UInt32? = nil) {
            self.name = name
            self.attributes = attributes
            self.uidValidity = uidValidity
            self.messages = messages
            self.uidNext = uidNext ?? ((messages.map(\.uid).max() ?? 0) + 1)
        }
    }

    /// What to do with one command.
    public enum Action: Sendable {
        /// Answer as a plain server would.
        case standard
        /// Send these bytes (`TAG` replaced by the command's tag), and nothing else for this command.
        case reply(String)
        /// Send these bytes one at a time, `milliseconds` apart (a trickling server), then nothing more.
        case trickle(String, milliseconds: Int)
        /// Send `count` copies of `line`, then answer as a plain server would.
        case flood(line: String, count: Int)
        /// Send these bytes (`TAG` replaced), then answer as a plain server would.
        case prefix(String)
        /// Close the connection.
        case hangUp
        /// Answer a UID FETCH as a plain server would, but without replies for these UIDs (Exchange's
        /// "OK without data").
        case withoutData(Set<UInt32>)
    }

    /// Decides per command: the connection's number (from 1), the tag, and the command line (literals inline).
    public typealias Script = @Sendable (_ connection: Int, _ tag: String, _ command: String) -> Action

    public let port: Int
    public var url: String { "imap://127.0.0.1:\(port)" }
    private let mailboxes: [Mailbox]
    private let capabilities: String
    private let script: Script
    private let refuseSynchronizingLiterals: Bool
    private let listener: Int32
    private let lock = NSLock()
    private var sockets: [Int32] = []
    private var connections = 0
    private var stopped = false
    private var commands: [String] = []

    /// Every command line received (all connections, in order), LOGIN's arguments left out.
    public var receivedCommands: [String] {
        lock.lock()
        defer { lock.unlock() }
        return commands
    }

    /// - Parameters:
    ///   - capabilities: what CAPABILITY lists after `IMAP4rev1` (LITERAL+ only if given here).
    ///   - refuseSynchronizingLiterals: answer `{n}` with `NO` instead of `+`.
    public init(mailboxes: [Mailbox], capabilities: String = "LITERAL+", refuseSynchronizingLiterals: Bool = false,
                script: @escaping Script = { _, _, _ in .standard }) throws {
        self.mailboxes = mailboxes
        self.capabilities = capabilities
        self.refuseSynchronizingLiterals = refuseSynchronizingLiterals
        self.script = script
        let listening = try LoopbackListener("fake IMAP server")
        listener = listening.descriptor
        port = listening.port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    /// Closes every socket once: a descriptor closed twice could by then belong to someone else.
    public func stop() {
        lock.lock()
        let all = sockets + [listener]
        let wasStopped = stopped
        stopped = true
        sockets = []
        lock.unlock()
        guard !wasStopped else { return }
        for descriptor in all {
            shutdown(descriptor, Int32(SHUT_RDWR))
            close(descriptor)
        }
    }

    /// Sample messages as a mailbox, UIDs from `firstUID` spaced `step` apart.
    public static func mailbox(_ name: String, messages: [SampleMessage], firstUID: UInt32 = 1, step: UInt32 = 1,
                               uidNext: UInt32? = nil, attributes: [String] = []) -> Mailbox {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd-MMM-yyyy HH:mm:ss '+0000'"
        let numbered = messages.enumerated().map { index, message in
            (uid: firstUID + UInt32(index) * step, bytes: Array(message.render().utf8),
             internalDate: formatter.string(from: Date(timeIntervalSince1970: TimeInterval(message.internalDate))))
        }
        return Mailbox(name: name, attributes: attributes, messages: numbered, uidNext: uidNext)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            lock.lock()
            sockets.append(client)
            connections += 1
            let number = connections
            lock.unlock()
            Thread.detachNewThread { [self] in serve(client, connection: number) }
        }
    }

    private final class Connection {
        let socket: Int32
        var buffer: [UInt8] = []
        var selected: Int?
        /// UIDs the next FETCH answer leaves out.
        var omitted: Set<UInt32> = []
        init(socket: Int32) { self.socket = socket }
    }

    private func serve(_ socket: Int32, connection number: Int) {
        let connection = Connection(socket: socket)
        send(connection, "* OK [CAPABILITY IMAP4rev1 \(capabilities)] fake server ready\r\n")
        while let command = readCommand(connection) {
            let line = String(decoding: command, as: UTF8.self)
            let tag = String(line.prefix { $0 != " " })
            let rest = String(line.dropFirst(tag.count + 1)).trimmingCharacters(in: .newlines)
            lock.lock()
            commands.append(rest.uppercased().hasPrefix("LOGIN") ? "LOGIN" : rest)
            lock.unlock()
            switch script(number, tag, rest) {
            case .standard:
                guard answer(tag, rest, connection) else { close(socket); return }
            case .reply(let text):
                send(connection, text.replacingOccurrences(of: "TAG", with: tag))
            case .trickle(let text, let milliseconds):
                for byte in Array(text.replacingOccurrences(of: "TAG", with: tag).utf8) {
                    guard Glibc.send(socket, [byte], 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                    usleep(UInt32(milliseconds) * 1000)
                }
            case .flood(let line, let count):
                let block = Array(String(repeating: line, count: 1000).utf8)
                for _ in 0..<(count / 1000) { guard sendAll(socket, block) else { return } }
                guard answer(tag, rest, connection) else { close(socket); return }
            case .prefix(let text):
                send(connection, text.replacingOccurrences(of: "TAG", with: tag))
                guard answer(tag, rest, connection) else { close(socket); return }
            case .hangUp:
                shutdown(socket, Int32(SHUT_RDWR))
                return
            case .withoutData(let uids):
                connection.omitted = uids
                let answered = answer(tag, rest, connection)
                connection.omitted = []
                guard answered else { close(socket); return }
            }
        }
    }

    /// One command with its literals inline; answers `+` to synchronising literals (or refuses them).
    private func readCommand(_ connection: Connection) -> [UInt8]? {
        var command: [UInt8] = []
        while true {
            guard let line = readLine(connection) else { return nil }
            command += line
            // A literal announcement ends the line: `{n}` or `{n+}` before CRLF (compared as bytes).
            guard line.count >= 5, line.suffix(3).elementsEqual(Array("}\r\n".utf8)),
                  let open = line.lastIndex(of: UInt8(ascii: "{")) else { return command }
            var inside = Array(line[(open + 1)..<(line.count - 3)])
            let plus = inside.last == UInt8(ascii: "+")
            if plus { inside.removeLast() }
            guard let count = Int(String(decoding: inside, as: UTF8.self)) else { return command }
            if !plus {
                if refuseSynchronizingLiterals {
                    let tag = String(decoding: command.prefix { $0 != 0x20 }, as: UTF8.self)
                    send(connection, "\(tag) NO literals are not accepted here\r\n")
                    lock.lock()
                    commands.append(String(decoding: command.dropFirst(tag.utf8.count + 1), as: UTF8.self).trimmingCharacters(in: .newlines) + " (refused)")
                    lock.unlock()
                    command = []
                    continue
                }
                send(connection, "+ go ahead\r\n")
            }
            while connection.buffer.count < count {
                guard fill(connection) else { return nil }
            }
            command += connection.buffer.prefix(count)
            connection.buffer.removeFirst(count)
        }
    }

    private func readLine(_ connection: Connection) -> [UInt8]? {
        while true {
            if let newline = connection.buffer.firstIndex(of: 0x0A) {
                let line = Array(connection.buffer[...newline])
                connection.buffer.removeSubrange(...newline)
                return line
            }
            guard fill(connection) else { return nil }
        }
    }

    private func fill(_ connection: Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = read(connection.socket, &chunk, chunk.count)
        guard count > 0 else { return false }
        connection.buffer += chunk[0..<count]
        return true
    }

    /// The plain server's answer; false to hang up.
    private func answer(_ tag: String, _ command: String, _ connection: Connection) -> Bool {
        let words = command.split(separator: " ", maxSplits: 1).map(String.init)
        let verb = words.first?.uppercased() ?? ""
        switch verb {
        case "CAPABILITY":
            send(connection, "* CAPABILITY IMAP4rev1 \(capabilities)\r\n\(tag) OK done\r\n")
        case "LOGIN", "NOOP":
            send(connection, "\(tag) OK done\r\n")
        case "LOGOUT":
            send(connection, "* BYE bye\r\n\(tag) OK done\r\n")
            return false
        case "LIST":
            var out = ""
            for mailbox in mailboxes {
                out += "* LIST (\(mailbox.attributes.joined(separator: " "))) \"/\" \(Self.quoted(mailbox.name))\r\n"
            }
            send(connection, out + "\(tag) OK done\r\n")
        case "EXAMINE":
            let argument = words.count > 1 ? words[1] : ""
            let name = argument.hasPrefix("\"") ? String(argument.dropFirst().dropLast()) : argument.components(separatedBy: "\r\n").last ?? argument
            guard let index = mailboxes.firstIndex(where: { $0.name == name }) else {
                send(connection, "\(tag) NO [NONEXISTENT] no such mailbox\r\n")
                return true
            }
            connection.selected = index
            let mailbox = mailboxes[index]
            var out = "* \(mailbox.messages.count) EXISTS\r\n* OK [UIDVALIDITY \(mailbox.uidValidity)] ok\r\n"
            if let next = mailbox.uidNext { out += "* OK [UIDNEXT \(next)] ok\r\n" }
            send(connection, out + "\(tag) OK [READ-ONLY] done\r\n")
        case "UID":
            guard let selected = connection.selected else {
                send(connection, "\(tag) BAD no mailbox\r\n")
                return true
            }
            send(connection, fetchReplies(words.count > 1 ? words[1] : "", mailbox: mailboxes[selected], omitting: connection.omitted))
            send(connection, "\(tag) OK done\r\n")
        default:
            send(connection, "\(tag) BAD unknown command\r\n")
        }
        return true
    }

    /// `FETCH set (items)`: UID, INTERNALDATE, RFC822.SIZE, FLAGS and BODY.PEEK sections, served from the model.
    private func fetchReplies(_ arguments: String, mailbox: Mailbox, omitting omitted: Set<UInt32> = []) -> [UInt8] {
        let parts = arguments.split(separator: " ", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { return [] }
        var wanted: [ClosedRange<UInt32>] = []
        for piece in parts[1].split(separator: ",") {
            let bounds = piece.split(separator: ":").map { $0 == "*" ? UInt32.max : UInt32($0) ?? 0 }
            if bounds.count == 2 { wanted.append(min(bounds[0], bounds[1])...max(bounds[0], bounds[1])) }
            if bounds.count == 1 { wanted.append(bounds[0]...bounds[0]) }
        }
        let items = parts[2].uppercased()
        var out: [UInt8] = []
        for (index, message) in mailbox.messages.enumerated() where wanted.contains(where: { $0.contains(message.uid) }) && !omitted.contains(message.uid) {
            var line = "* \(index + 1) FETCH (UID \(message.uid)"
            if items.contains("INTERNALDATE") { line += " INTERNALDATE \"\(message.internalDate)\"" }
            if items.contains("RFC822.SIZE") { line += " RFC822.SIZE \(message.bytes.count)" }
            if items.contains("FLAGS") { line += " FLAGS (\\Seen)" }
            if items.contains("X-GM-MSGID") { line += " X-GM-MSGID \(Self.gmailMessageID(message.bytes))" }
            var body: [UInt8]?
            var section = ""
            if let open = items.range(of: "BODY.PEEK["), let close = items[open.upperBound...].firstIndex(of: "]") {
                section = String(items[open.upperBound..<close])
                let headerEnd = message.bytes.indices.first { index in
                    index + 3 < message.bytes.count && message.bytes[index...index + 3].elementsEqual([13, 10, 13, 10])
                }.map { $0 + 4 } ?? message.bytes.count
                body = section.isEmpty ? message.bytes : Array(message.bytes[..<headerEnd])
            }
            out += Array(line.utf8)
            if let body {
                out += Array(" BODY[\(section)] {\(body.count)}\r\n".utf8) + body
            }
            out += Array(")\r\n".utf8)
        }
        return out
    }

    /// Gmail gives a message one id in every label: here, an FNV-1a hash of its bytes.
    public static func gmailMessageID(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(UInt64(0xcbf29ce484222325)) { ($0 ^ UInt64($1)) &* 0x100000001b3 } >> 1
    }

    private static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private func send(_ connection: Connection, _ text: String) {
        _ = sendAll(connection.socket, Array(text.utf8))
    }

    private func send(_ connection: Connection, _ bytes: [UInt8]) {
        _ = sendAll(connection.socket, bytes)
    }

    private func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: kith hanging up on a hostile answer must not kill the test process with SIGPIPE.
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }
}
