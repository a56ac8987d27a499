import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks a DNS server for MX, SRV and A records over UDP (RFC 1035, RFC 2782): what `kith add` needs to
/// find a domain's mail server. The server is the first `nameserver` of /etc/resolv.conf, or
/// `$KITH_DNS_SERVER` (`host:port`), a hook for tests.
struct DNSClient {
    struct MX: Equatable { var preference: Int; var host: String }
    struct SRV: Equatable { var priority: Int; var weight: Int; var port: Int; var target: String }

    enum RecordType: UInt16 { case a = 1, mx = 15, srv = 33 }

    var server: (host: String, port: UInt16)
    var timeoutSeconds = 3

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let hook = environment["KITH_DNS_SERVER"], let colon = hook.lastIndex(of: ":"), let port = UInt16(hook[hook.index(after: colon)...]) {
            server = (String(hook[..<colon]), port)
            return
        }
        let resolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        let nameserver = resolv.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            return words.count >= 2 && words[0] == "nameserver" && !words[1].contains(":") ? String(words[1]) : nil
        }.first
        server = (nameserver ?? "127.0.0.1", 53)
    }

    func mx(_ domain: String) -> [MX] {
        answers(domain, .mx).compactMap { data, message in
            guard data.count > 2 else { return nil }
            var offset = data.startIndex + 2
            guard let host = Self.name(in: message, at: &offset) else { return nil }
            return MX(preference: Int(data[data.startIndex]) << 8 | Int(data[data.startIndex + 1]), host: host)
        }.sorted { $0.preference < $1.preference }
    }

    func srv(_ name: String) -> [SRV] {
        answers(name, .srv).compactMap { data, message in
            guard data.count > 6 else { return nil }
            let base = data.startIndex
            func number(_ at: Int) -> Int { Int(data[base + at]) << 8 | Int(data[base + at + 1]) }
            var offset = base + 6
            guard let target = Self.name(in: message, at: &offset) else { return nil }
            return SRV(priority: number(0), weight: number(2), port: number(4), target: target)
        }.sorted { ($0.priority, -$0.weight) < ($1.priority, -$1.weight) }
    }

    // MARK: - Wire

    /// Each answer record of `type`: its data, and the whole message (for compressed names).
    private func answers(_ name: String, _ type: RecordType) -> [(ArraySlice<UInt8>, [UInt8])] {
        guard let message = exchange(query(name, type)), message.count >= 12 else { return [] }
        let answerCount = Int(message[6]) << 8 | Int(message[7])
        let questionCount = Int(message[4]) << 8 | Int(message[5])
        guard message[3] & 0x0F == 0 else { return [] }  // NXDOMAIN and other errors: nothing found
        var offset = 12
        for _ in 0..<questionCount {
            guard Self.name(in: message, at: &offset) != nil else { return [] }
            offset += 4
        }
        var found: [(ArraySlice<UInt8>, [UInt8])] = []
        for _ in 0..<answerCount {
            guard Self.name(in: message, at: &offset) != nil, offset + 10 <= message.count else { break }
            let recordType = UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
            let length = Int(message[offset + 8]) << 8 | Int(message[offset + 9])
            offset += 10
            guard offset + length <= message.count else { break }
            if recordType == type.rawValue { found.append((message[offset..<(offset + length)], message)) }
            offset += length
        }
        return found
    }

    private func query(_ name: String, _ type: RecordType) -> [UInt8] {
        var packet: [UInt8] = [UInt8.random(in: 0...255), UInt8.random(in: 0...255), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            let bytes = Array(label.utf8.prefix(63))
            packet.append(UInt8(bytes.count))
            packet += bytes
        }
        packet += [0, UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1]
        return packet
    }

    /// One UDP question and its answer (same id), or nil after the timeout.
    private func exchange(_ packet: [UInt8]) -> [UInt8]? {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(server.port.bigEndian)
        guard inet_pton(AF_INET, server.host, &address.sin_addr) == 1 else { return nil }
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == packet.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<4 {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 12 else { return nil }
            if buffer[0] == packet[0], buffer[1] == packet[1] { return Array(buffer[..<count]) }
        }
        return nil
    }

    /// A possibly compressed domain name at `offset` (moved past it); nil when malformed.
    static func name(in message: [UInt8], at offset: inout Int) -> String? {
        var labels: [String] = []
        var position = offset
        var jumped = false
        var hops = 0
        while position < message.count {
            let length = Int(message[position])
            if length == 0 {
                if !jumped { offset = position + 1 }
                return labels.joined(separator: ".")
            }
            if length & 0xC0 == 0xC0 {
                guard position + 1 < message.count, hops < 16 else { return nil }
                if !jumped { offset = position + 2 }
                position = (length & 0x3F) << 8 | Int(message[position + 1])
                jumped = true
                hops += 1
                continue
            }
            guard position + 1 + length <= message.count else { return nil }
            labels.append(String(decoding: message[(position + 1)...(position + length)], as: UTF8.self))
            position += 1 + length
        }
        return nil
    }
}
