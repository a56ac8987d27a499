import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// An authenticated IMAP connection: libcurl connects, negotiates TLS and logs in (`CURLOPT_CONNECT_ONLY`),
/// then kith moves raw bytes over it with `curl_easy_send` / `curl_easy_recv`.
final class CurlTransport {
    private let curl: CurlHandle
    private let socket: Int32
    private let readTimeoutMilliseconds: Int32
    private var receiveBuffer = [UInt8](repeating: 0, count: 256 * 1024)

    init(_ settings: ConnectionSettings) throws(IMAPError) {
        curl = try CurlHandle()
        let lowerURL = settings.url.lowercased()
        guard lowerURL.hasPrefix("imaps://") || lowerURL.hasPrefix("imap://") else {
            throw .curl(code: 1, message: "unsupported URL scheme in \(settings.url): use imaps:// or imap://")
        }
        try curl.set(CURLOPT_URL, settings.url)
        try curl.set(CURLOPT_CONNECT_ONLY, 1)
        try curl.set(CURLOPT_USERNAME, settings.username)
        if let mechanism = settings.bearerMechanism {
            try curl.set(CURLOPT_XOAUTH2_BEARER, settings.password.revealed)
            try curl.set(CURLOPT_LOGIN_OPTIONS, "AUTH=\(mechanism)")
        } else {
            try curl.set(CURLOPT_PASSWORD, settings.password.revealed)
        }
        try curl.set(CURLOPT_CONNECTTIMEOUT, settings.connectTimeoutSeconds)
        try curl.set(CURLOPT_SSL_VERIFYPEER, 1)
        try curl.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = settings.caFile { try curl.set(CURLOPT_CAINFO, caFile) }
        if lowerURL.hasPrefix("imap://") {
            let level = settings.allowPlaintext ? CURLUSESSL_NONE : CURLUSESSL_ALL
            try curl.set(CURLOPT_USE_SSL, Int(level.rawValue))
        }
        // Bound the whole connect + TLS + login phase too, not only the TCP connect.
        try curl.set(CURLOPT_TIMEOUT, settings.connectTimeoutSeconds + settings.readTimeoutSeconds)
        try curl.perform()
        try curl.set(CURLOPT_TIMEOUT, 0)
        socket = try curl.activeSocket()
        readTimeoutMilliseconds = Int32(clamping: settings.readTimeoutSeconds * 1000)
    }

    /// Sends all of `bytes`, waiting for the socket when it is full.
    func send(_ bytes: [UInt8]) throws(IMAPError) {
        var offset = 0
        while offset < bytes.count {
            let sent = try bytes.withUnsafeBytes { raw in
                Result { () throws(IMAPError) in try curl.send(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }.get()
            if sent == 0 { try wait(for: Int16(POLLOUT), milliseconds: readTimeoutMilliseconds) }
            offset += sent
        }
    }

    /// Receives the next bytes and hands them to `consumer`; throws on timeout, on passing `deadline`
    /// (`IMAPError.deadlineExceeded`, with `deadlineSeconds` in its text) or on a closed connection.
    func receive(deadline: ContinuousClock.Instant? = nil, deadlineSeconds: Int = 0,
                 _ consumer: (UnsafeRawBufferPointer) -> Void) throws(IMAPError) {
        while true {
            let count = try receiveBuffer.withUnsafeMutableBytes { raw in
                Result { () throws(IMAPError) in try curl.receive(into: raw) }
            }.get()
            guard let count else {
                var limit = readTimeoutMilliseconds
                if let deadline {
                    let left = ContinuousClock.now.duration(to: deadline)
                    guard left > .zero else { throw .deadlineExceeded(seconds: deadlineSeconds) }
                    let leftMilliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
                    if leftMilliseconds < Int64(limit) { limit = Int32(leftMilliseconds) }
                }
                try wait(for: Int16(POLLIN), milliseconds: limit)
                if let deadline, ContinuousClock.now >= deadline { throw .deadlineExceeded(seconds: deadlineSeconds) }
                continue
            }
            guard count > 0 else { throw .connectionClosed }
            receiveBuffer.withUnsafeBytes { consumer(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            return
        }
    }

    /// Waits until the socket is ready; a deadline shorter than the read timeout returns early without error.
    private func wait(for events: Int16, milliseconds: Int32) throws(IMAPError) {
        var descriptor = pollfd(fd: socket, events: events, revents: 0)
        while true {
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready == 0 {
                if milliseconds < readTimeoutMilliseconds { return }
                throw .timeout(seconds: Int(readTimeoutMilliseconds / 1000))
            }
            if errno != EINTR { throw .connectionClosed }
        }
    }
}
