import CCurl
import Foundation

/// One-shot libcurl transfers for notifications: a mail over SMTP, a POST over HTTP(S). TLS is verified.
public enum CurlTransfer {
    /// Sends `message` (a whole RFC 5322 message, CRLF line ends) from `from` to `recipients`.
    public static func sendMail(url: String, from: String, recipients: [String], username: String?, password: Secret?,
                                caFile: String?, allowPlaintext: Bool, message: [UInt8], timeoutSeconds: Int = 60) throws(IMAPError) {
        let curl = try CurlHandle()
        try curl.set(CURLOPT_URL, url)
        try curl.set(CURLOPT_MAIL_FROM, "<\(from)>")
        if let username { try curl.set(CURLOPT_USERNAME, username) }
        if let password { try curl.set(CURLOPT_PASSWORD, password.revealed) }
        if let caFile { try curl.set(CURLOPT_CAINFO, caFile) }
        if url.lowercased().hasPrefix("smtp://") {
            try curl.set(CURLOPT_USE_SSL, Int((allowPlaintext ? CURLUSESSL_NONE : CURLUSESSL_ALL).rawValue))
        }
        try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
        var list: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients { list = curl_slist_append(list, "<\(recipient)>") }
        defer { curl_slist_free_all(list) }
        try curl.setList(CURLOPT_MAIL_RCPT, list)
        let source = UploadSource(message)
        try curl.set(CURLOPT_UPLOAD, 1)
        try curl.setUpload(source)
        try curl.perform()
    }

    /// POSTs `body`; returns the HTTP status (the caller decides what counts as success). The response is discarded.
    public static func post(url: String, body: [UInt8], contentType: String, timeoutSeconds: Int = 30) throws(IMAPError) -> Int {
        let curl = try CurlHandle()
        try curl.set(CURLOPT_URL, url)
        try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
        try curl.set(CURLOPT_POSTFIELDSIZE, body.count)
        try curl.set(CURLOPT_COPYPOSTFIELDS, String(decoding: body, as: UTF8.self))
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Content-Type: \(contentType)")
        defer { curl_slist_free_all(headers) }
        try curl.setList(CURLOPT_HTTPHEADER, headers)
        try curl.discardResponseBody()
        try curl.perform()
        return curl.responseCode()
    }
}

/// An HTTP answer: status and body (at most `CurlTransfer.maximumResponseBytes`).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// Response headers by lowercased name (the last of a repeated one); filled by `request` only.
    public var headers: [String: String] = [:]
}

extension CurlTransfer {
    /// Answers larger than this are cut off with an error: a token endpoint says little.
    public static let maximumResponseBytes = 1 << 20

    /// POSTs `fields` as `application/x-www-form-urlencoded` over http(s) only, follows no redirects, and
    /// returns the answer whatever its status. `fields` may hold secrets: libcurl's verbose output stays off.
    public static func postForm(url: String, fields: [(String, String)], timeoutSeconds: Int = 30) throws(IMAPError) -> HTTPResponse {
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        let curl = try CurlHandle()
        try curl.set(CURLOPT_URL, url)
        try curl.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
        try curl.set(CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 15))
        try curl.set(CURLOPT_POSTFIELDSIZE, body.utf8.count)
        try curl.set(CURLOPT_COPYPOSTFIELDS, body)
        var headers: UnsafeMutablePointer<curl_slist>?
        headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded")
        headers = curl_slist_append(headers, "Accept: application/json")
        defer { curl_slist_free_all(headers) }
        try curl.setList(CURLOPT_HTTPHEADER, headers)
        let sink = ResponseSink(limit: maximumResponseBytes)
        try curl.collectResponseBody(sink)
        do {
            try curl.perform()
        } catch {
            if sink.overflowed { throw .protocolViolation("the answer from \(url) is larger than \(maximumResponseBytes) bytes") }
            throw error
        }
        return HTTPResponse(status: curl.responseCode(), body: sink.bytes)
    }

    /// GETs `url` over https only, following no redirects. `caFile` and `connectTo` (`host:port:host:port`,
    /// libcurl's CONNECT_TO) exist for tests that serve a name from a local port with a test CA.
    public static func getHTTPS(url: String, caFile: String? = nil, connectTo: String? = nil, timeoutSeconds: Int = 10) throws(IMAPError) -> HTTPResponse {
        let curl = try CurlHandle()
        try curl.set(CURLOPT_URL, url)
        try curl.set(CURLOPT_PROTOCOLS_STR, "https")
        try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
        try curl.set(CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 5))
        if let caFile { try curl.set(CURLOPT_CAINFO, caFile) }
        var hosts: UnsafeMutablePointer<curl_slist>?
        if let connectTo { hosts = curl_slist_append(hosts, connectTo) }
        defer { curl_slist_free_all(hosts) }
        if hosts != nil { try curl.setList(CURLOPT_CONNECT_TO, hosts) }
        let sink = ResponseSink(limit: maximumResponseBytes)
        try curl.collectResponseBody(sink)
        try curl.perform()
        return HTTPResponse(status: curl.responseCode(), body: sink.bytes)
    }

    /// One HTTP(S) request with any method (WebDAV's PROPFIND, PUT with If-Match...), Basic authentication when
    /// `username` is given, no redirects followed; returns the answer whatever its status, with its headers.
    public static func request(_ method: String, url: String, headers: [String] = [], body: [UInt8]? = nil, username: String? = nil,
                               password: Secret? = nil, caFile: String? = nil, timeoutSeconds: Int = 30) throws(IMAPError) -> HTTPResponse {
        let curl = try CurlHandle()
        try curl.set(CURLOPT_URL, url)
        try curl.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
        try curl.set(CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 15))
        try curl.set(CURLOPT_CUSTOMREQUEST, method)
        if let username { try curl.set(CURLOPT_USERNAME, username) }
        if let password { try curl.set(CURLOPT_PASSWORD, password.revealed) }
        if let caFile { try curl.set(CURLOPT_CAINFO, caFile) }
        if let body {
            try curl.set(CURLOPT_POSTFIELDSIZE, body.count)
            try curl.set(CURLOPT_COPYPOSTFIELDS, String(decoding: body, as: UTF8.self))
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers + ["Expect:"] { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        try curl.setList(CURLOPT_HTTPHEADER, list)
        let sink = ResponseSink(limit: maximumResponseBytes)
        try curl.collectResponseBody(sink)
        let headerSink = ResponseSink(limit: 64 * 1024)
        try curl.collectResponseHeaders(headerSink)
        do {
            try curl.perform()
        } catch {
            if sink.overflowed { throw .protocolViolation("the answer from \(url) is larger than \(maximumResponseBytes) bytes") }
            throw error
        }
        var parsed: [String: String] = [:]
        for line in String(decoding: headerSink.bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPResponse(status: curl.responseCode(), body: sink.bytes, headers: parsed)
    }

    /// RFC 3986 unreserved characters stay; everything else is percent-encoded (so `+`, `&`, `=` survive).
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// Bytes libcurl's write callback collects, up to a limit.
final class ResponseSink {
    let limit: Int
    var bytes: [UInt8] = []
    var overflowed = false
    init(limit: Int) { self.limit = limit }

    /// The body of a write or header callback: keeps `length` bytes, or returns 0 (failing the transfer) past the limit.
    static func append(_ buffer: UnsafeMutablePointer<CChar>?, _ length: Int, to userdata: UnsafeMutableRawPointer?) -> Int {
        guard let buffer, let userdata else { return 0 }
        let sink = Unmanaged<ResponseSink>.fromOpaque(userdata).takeUnretainedValue()
        guard sink.bytes.count + length <= sink.limit else {
            sink.overflowed = true
            return 0
        }
        sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
        return length
    }
}

/// Bytes handed to libcurl's read callback.
final class UploadSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

extension CurlHandle {
    func setList(_ option: CURLoption, _ list: UnsafeMutablePointer<curl_slist>?) throws(IMAPError) {
        try check(kith_curl_setopt_slist(raw, option, list))
    }

    /// Feeds `source` to an upload; `source` must outlive `perform()`.
    func setUpload(_ source: UploadSource) throws(IMAPError) {
        uploadSource = source
        try check(kith_curl_setopt_pointer(raw, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()))
        try check(kith_curl_setopt_callback(raw, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let source = Unmanaged<UploadSource>.fromOpaque(userdata).takeUnretainedValue()
            let length = min(size * count, source.bytes.count - source.offset)
            source.bytes.withUnsafeBufferPointer { all in
                UnsafeMutableRawPointer(buffer).copyMemory(from: all.baseAddress! + source.offset, byteCount: length)
            }
            source.offset += length
            return length
        })
    }

    /// Collects the response body into `sink`, which must outlive `perform()`; past its limit the transfer fails.
    func collectResponseBody(_ sink: ResponseSink) throws(IMAPError) {
        responseSink = sink
        try check(kith_curl_setopt_pointer(raw, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque()))
        try check(kith_curl_setopt_callback(raw, CURLOPT_WRITEFUNCTION) { buffer, size, count, userdata in
            ResponseSink.append(buffer, size * count, to: userdata)
        })
    }

    /// Collects the response's header lines into `sink`, which must outlive `perform()`.
    func collectResponseHeaders(_ sink: ResponseSink) throws(IMAPError) {
        headerSink = sink
        try check(kith_curl_setopt_pointer(raw, CURLOPT_HEADERDATA, Unmanaged.passUnretained(sink).toOpaque()))
        try check(kith_curl_setopt_callback(raw, CURLOPT_HEADERFUNCTION) { buffer, size, count, userdata in
            ResponseSink.append(buffer, size * count, to: userdata)
        })
    }

    func discardResponseBody() throws(IMAPError) {
        try check(kith_curl_setopt_callback(raw, CURLOPT_WRITEFUNCTION) { _, size, count, _ in size * count })
    }

    func responseCode() -> Int {
        var code = 0
        _ = kith_curl_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code)
        return code
    }
}
