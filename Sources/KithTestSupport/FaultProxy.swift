import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP proxy between kith and a test server that injects one wire fault.
///
/// Faults are counted on the server-to-client stream, or triggered by a client command, so a test can
/// put them exactly where it wants (in the middle of FETCH data, on the third UID FETCH...).
public final class FaultProxy: @unchecked Sendable {
    public enum Fault: Sendable {
        /// Forward everything (for latency or as a control).
        case none
        /// Forward this many server bytes, then close both connections.
        case cutAfter(serverBytes: Int)
        /// Forward this many server bytes, then forward nothing more while keeping the connection open.
        case stallAfter(serverBytes: Int)
        /// When the client's `occurrence`-th command containing `command` arrives, do not forward it;
        /// answer with `reply` instead (`TAG` is replaced by the command's tag) and forward nothing more.
        case answer(command: String, occurrence: Int, reply: String)
        /// When a client command containing `command` arrives for the n-th time counted over all
        /// connections, n in `occurrences`, answer with `reply` (`TAG` replaced) and close that connection.
        case answerAndClose(command: String, occurrences: Set<Int>, reply: String)
    }

    /// One command line the client sent, when, on which connection (numbered from 1).
    public struct LoggedCommand: Sendable {
        public var at: Date
        public var connection: Int
        public var line: String
    }

    public let port: Int
    private let upstreamPort: Int
    private let fault: Fault
    private let listener: Int32
    private let lock = NSLock()
    private var sockets: [Int32] = []
    private var stopped = false
    private var serverBytes: [UInt8] = []
    private var commands: [LoggedCommand] = []
    private var connections = 0
    private var matchingCommands = 0
    /// The answer to these client commands was injected by the proxy: when each reply was sent.
    private var injected: [Date] = []

    /// Every command line clients sent through the proxy, in order.
    public var commandLog: [LoggedCommand] {
        lock.lock()
        defer { lock.unlock() }
        return commands
    }

    /// When each injected reply was sent.
    public var injectedAt: [Date] {
        lock.lock()
        defer { lock.unlock() }
        return injected
    }

    /// Everything the server sent through the proxy so far (all connections): a recorded transcript.
    public var recordedServerBytes: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return serverBytes
    }

    public init(upstreamPort: Int, fault: Fault) throws {
        self.upstreamPort = upstreamPort
        self.fault = fault
        let listening = try LoopbackListener("fault proxy")
        listener = listening.descriptor
        port = listening.port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    public func stop() {
        lock.lock()
        let all = sockets + [listener]
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        for descriptor in all {
            shutdown(descriptor, Int32(SHUT_RDWR))
            close(descriptor)
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = LoopbackListener.address(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            lock.lock()
            sockets += [client, server]
            lock.unlock()
            guard connected else {
                close(client)
                continue
            }
            let state = ConnectionState()
            lock.lock()
            connections += 1
            state.number = connections
            lock.unlock()
            Thread.detachNewThread { [self] in pumpServerToClient(server: server, client: client, state: state) }
            Thread.detachNewThread { [self] in pumpClientToServer(client: client, server: server, state: state) }
        }
    }

    /// Shared by the two pumps of one connection.
    private final class ConnectionState: @unchecked Sendable {
        let lock = NSLock()
        var frozen = false
        var commandsSeen = 0
        var number = 0

        var isFrozen: Bool {
            lock.lock()
            defer { lock.unlock() }
            return frozen
        }
    }

    private func pumpServerToClient(server: Int32, client: Int32, state: ConnectionState) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        var forwarded = 0
        while true {
            let count = read(server, &buffer, buffer.count)
            guard count > 0 else { break }
            if state.isFrozen { continue }
            var allowed = count
            switch fault {
            case .cutAfter(let limit), .stallAfter(let limit):
                allowed = max(0, min(count, limit - forwarded))
            default:
                break
            }
            if allowed > 0 {
                lock.lock()
                serverBytes += buffer[0..<allowed]
                lock.unlock()
                writeAll(client, Array(buffer[0..<allowed]))
            }
            forwarded += allowed
            if allowed < count {
                if case .cutAfter = fault {
                    shutdown(client, Int32(SHUT_RDWR))
                    shutdown(server, Int32(SHUT_RDWR))
                    return
                }
                state.lock.lock()
                state.frozen = true
                state.lock.unlock()
            }
        }
        shutdown(client, Int32(SHUT_WR))
    }

    private func pumpClientToServer(client: Int32, server: Int32, state: ConnectionState) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        var pending: [UInt8] = []
        while true {
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { break }
            if state.isFrozen { continue }
            switch fault {
            case .answer, .answerAndClose: break
            default:
                // Nothing to look for: the bytes go on as they came (TLS records included).
                writeAll(server, Array(buffer[0..<count]))
                continue
            }
            // Work on whole command lines (bytes: "\r\n" must not become one character).
            pending += buffer[0..<count]
            var forward: [UInt8] = []
            var closeNow = false
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[...newline])
                pending.removeSubrange(...newline)
                let text = String(decoding: line, as: UTF8.self)
                lock.lock()
                commands.append(LoggedCommand(at: Date(), connection: state.number, line: text.trimmingCharacters(in: .newlines)))
                lock.unlock()
                if let reply = injectedReply(for: text, state: state) {
                    writeAll(server, forward)
                    let tag = String(decoding: line.prefix { $0 != 0x20 }, as: UTF8.self)
                    writeAll(client, Array(reply.text.replacingOccurrences(of: "TAG", with: tag).utf8))
                    lock.lock()
                    injected.append(Date())
                    lock.unlock()
                    forward = []
                    pending = []
                    closeNow = reply.close
                    break
                }
                forward += line
            }
            writeAll(server, forward)
            if closeNow {
                shutdown(client, Int32(SHUT_RDWR))
                shutdown(server, Int32(SHUT_RDWR))
                return
            }
        }
        shutdown(server, Int32(SHUT_WR))
    }

    /// The reply to inject instead of forwarding `line`, if the fault says so; whether to close after it.
    private func injectedReply(for line: String, state: ConnectionState) -> (text: String, close: Bool)? {
        switch fault {
        case .answer(let command, let occurrence, let reply) where line.contains(command):
            state.lock.lock()
            defer { state.lock.unlock() }
            state.commandsSeen += 1
            guard state.commandsSeen == occurrence else { return nil }
            state.frozen = true
            return (reply, false)
        case .answerAndClose(let command, let occurrences, let reply) where line.contains(command):
            lock.lock()
            defer { lock.unlock() }
            matchingCommands += 1
            return occurrences.contains(matchingCommands) ? (reply, true) : nil
        default:
            return nil
        }
    }

    private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a side that already hung up must not kill the test process with SIGPIPE.
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }
}
