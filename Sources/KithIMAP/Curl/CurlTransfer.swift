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

    func discardResponseBody() throws(IMAPError) {
        try check(kith_curl_setopt_callback(raw, CURLOPT_WRITEFUNCTION) { _, size, count, _ in size * count })
    }

    func responseCode() -> Int {
        var code = 0
        _ = kith_curl_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code)
        return code
    }
}
