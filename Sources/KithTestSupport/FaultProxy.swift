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
    }

    public let port: Int
    private let upstreamPort: Int
    private let fault: Fault
    private let listener: Int32
    private let lock = NSLock()
    private var sockets: [Int32] = []
    private var stopped = false
    private var serverBytes: [UInt8] = []

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
            Thread.detachNewThread { [self] in pumpServerToClient(server: server, client: client, state: state) }
            Thread.detachNewThread { [self] in pumpClientToServer(client: client, server: server, state: state) }
        }
    }

    /// Shared by the two pumps of one connection.
    private final class ConnectionState: @unchecked Sendable {
        let lock = NSLock()
        var frozen = false
        var commandsSeen = 0

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
            guard case .answer(let command, let occurrence, let reply) = fault else {
                writeAll(server, Array(buffer[0..<count]))
                continue
            }
            // Work on whole command lines (bytes: "\r\n" must not become one character).
            pending += buffer[0..<count]
            var forward: [UInt8] = []
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[...newline])
                pending.removeSubrange(...newline)
                if String(decoding: line, as: UTF8.self).contains(command) {
                    state.lock.lock()
                    state.commandsSeen += 1
                    let trigger = state.commandsSeen == occurrence
                    if trigger { state.frozen = true }
                    state.lock.unlock()
                    if trigger {
                        writeAll(server, forward)
                        let tag = String(decoding: line.prefix { $0 != 0x20 }, as: UTF8.self)
                        writeAll(client, Array(reply.replacingOccurrences(of: "TAG", with: tag).utf8))
                        forward = []
                        pending = []
                        break
                    }
                }
                forward += line
            }
            writeAll(server, forward)
        }
        shutdown(server, Int32(SHUT_WR))
    }

    private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}
