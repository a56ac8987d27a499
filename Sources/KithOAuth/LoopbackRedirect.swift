import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The end of a loopback sign-in: a socket on 127.0.0.1 at a free port that takes the browser's
/// redirect, answers it with a short page, and hands back the redirect's query. A user without a
/// browser on this machine may paste the redirected address instead.
public final class LoopbackRedirect {
    /// Where pasted lines come from: standard input, or nowhere.
    public struct LineSource: Sendable {
        let descriptor: Int32?
        /// Lines read from an open file descriptor (a pipe, a terminal).
        public init(descriptor: Int32?) { self.descriptor = descriptor }
        public static let standardInput = LineSource(descriptor: STDIN_FILENO)
        public static let none = LineSource(descriptor: nil)
    }

    private let listener: Int32
    public let port: Int

    public var redirectURI: String { "http://127.0.0.1:\(port)/" }

    public init() throws(OAuth2Error) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = descriptor >= 0 && withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 8) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard ok else {
            if descriptor >= 0 { close(descriptor) }
            throw .loginFailed("cannot listen on 127.0.0.1 for the browser's redirect: \(String(cString: strerror(errno)))")
        }
        listener = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(listener) }

    /// The redirect's query parameters, from the browser or a pasted address, whichever comes first.
    public func waitForAnswer(pasted: LineSource, timeoutSeconds: Int) throws(OAuth2Error) -> [String: String] {
        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        var pastedDescriptor = pasted.descriptor
        var typed: [UInt8] = []
        while Date() < deadline {
            var watched = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            if let pastedDescriptor { watched.append(pollfd(fd: pastedDescriptor, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&watched, nfds_t(watched.count), 1000)
            if ready < 0, errno != EINTR { break }
            if watched[0].revents & Int16(POLLIN) != 0, let query = acceptRedirect() { return query }
            if watched.count > 1, watched[1].revents != 0, let descriptor = pastedDescriptor {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 {
                    pastedDescriptor = nil  // standard input closed: the browser is the only way left
                    continue
                }
                typed += buffer[..<count]
                while let newline = typed.firstIndex(of: 0x0A) {
                    let line = String(decoding: typed[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    typed.removeSubrange(...newline)
                    if let query = Self.query(ofAddress: line), query["code"] != nil || query["error"] != nil { return query }
                }
            }
        }
        throw .loginFailed("no redirect reached \(redirectURI) within \(timeoutSeconds / 60) minutes")
    }

    /// Serves one connection; the query when it was the redirect, nil for anything else (a favicon).
    private func acceptRedirect() -> [String: String]? {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return nil }
        defer { close(connection) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384, !request.ends(with: [13, 10, 13, 10]) {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            request += buffer[..<count]
        }
        let firstLine = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard firstLine.count >= 2, firstLine[0] == "GET",
              let query = Self.query(ofAddress: "http://127.0.0.1\(firstLine[1])"), query["code"] != nil || query["error"] != nil else {
            respond(connection, status: "404 Not Found", text: "Not the sign-in redirect.")
            return nil
        }
        let text = query["error"] == nil ? "kith: signed in. You can close this page." : "kith: sign-in did not finish. See the terminal."
        respond(connection, status: "200 OK", text: text)
        return query
    }

    private func respond(_ connection: Int32, status: String, text: String) {
        let page = "<!doctype html><html><head><meta charset=\"utf-8\"><title>kith</title></head><body><p>\(text)</p></body></html>"
        let answer = "HTTP/1.1 \(status)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(page.utf8.count)\r\nConnection: close\r\n\r\n\(page)"
        _ = Array(answer.utf8).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    static func query(ofAddress address: String) -> [String: String]? {
        guard let items = URLComponents(string: address)?.queryItems else { return nil }
        var query: [String: String] = [:]
        for item in items where query[item.name] == nil { query[item.name] = item.value ?? "" }
        return query
    }

    /// Percent-encodes a query value: RFC 3986 unreserved characters stay.
    static func queryEncode(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
