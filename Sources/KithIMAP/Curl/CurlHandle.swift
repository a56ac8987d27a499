import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// One libcurl easy handle: the only place kith calls libcurl. Freed in `deinit`; not shared across threads.
final class CurlHandle {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Kept alive while libcurl may read from it.
    var uploadSource: UploadSource?
    var responseSink: ResponseSink?
    var headerSink: ResponseSink?

    var raw: UnsafeMutableRawPointer { handle }

    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    init() throws(IMAPError) {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw .curl(code: -1, message: "libcurl could not be initialised")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = kith_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = kith_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    func set(_ option: CURLoption, _ value: Int) throws(IMAPError) {
        try check(kith_curl_setopt_long(handle, option, value))
    }

    /// libcurl copies string options (since 7.17), so the Swift string need not outlive the call.
    func set(_ option: CURLoption, _ value: String) throws(IMAPError) {
        try check(value.withCString { kith_curl_setopt_string(handle, option, $0) })
    }

    func perform() throws(IMAPError) {
        errorBuffer[0] = 0
        try check(curl_easy_perform(handle))
    }

    /// The connected socket, for poll(2) when libcurl answers CURLE_AGAIN.
    func activeSocket() throws(IMAPError) -> Int32 {
        var socket: curl_socket_t = -1
        try check(kith_curl_getinfo_socket(handle, &socket))
        return socket
    }

    /// Sends some of `bytes`; returns how many went out (0 when the socket would block).
    func send(_ bytes: UnsafeRawBufferPointer) throws(IMAPError) -> Int {
        var sent = 0
        let code = curl_easy_send(handle, bytes.baseAddress, bytes.count, &sent)
        if code == CURLE_AGAIN { return 0 }
        try check(code)
        return sent
    }

    /// Receives into `buffer`; nil when no data is ready yet, 0 when the peer closed the connection.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(IMAPError) -> Int? {
        var received = 0
        let code = curl_easy_recv(handle, buffer.baseAddress, buffer.count, &received)
        if code == CURLE_AGAIN { return nil }
        try check(code)
        return received
    }

    func check(_ code: CURLcode) throws(IMAPError) {
        guard code != CURLE_OK else { return }
        let detail = String(cString: errorBuffer)
        let summary = String(cString: curl_easy_strerror(code))
        throw .curl(code: Int(code.rawValue), message: detail.isEmpty ? summary : "\(summary): \(detail)")
    }
}
