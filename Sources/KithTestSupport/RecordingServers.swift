import Foundation
import KithConfig
#if canImport(Glibc)
import Glibc
#endif

/// A real SMTP server (Debian's python3-aiosmtpd) on loopback that stores every message it receives in a Maildir.
public final class RecordingSMTPServer: @unchecked Sendable {
    public let port: Int
    public let maildir: URL
    private let pid: pid_t

    public init(directory: URL) throws {
        port = try DovecotServer.freeLoopbackPort()
        maildir = directory.appendingPathComponent("smtp-received")
        pid = try ChildProcess.startInBackground(
            ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", maildir.path],
            environment: ProcessInfo.processInfo.environment, outputFile: directory.appendingPathComponent("smtp.log").path)
        try BackgroundServer.waitUntilListening(port)
    }

    deinit { BackgroundServer.stop(pid) }

    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// Every message received so far, oldest first.
    public var messages: [String] {
        let new = maildir.appendingPathComponent("new")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: new.path)) ?? []).sorted()
        return files.compactMap { try? String(contentsOf: new.appendingPathComponent($0), encoding: .utf8) }
    }
}

/// A loopback HTTP server (Python's http.server) that answers 200 to every POST and keeps each body.
public final class RecordingHTTPServer: @unchecked Sendable {
    public let port: Int
    private let bodies: URL
    private let pid: pid_t

    public init(directory: URL) throws {
        port = try DovecotServer.freeLoopbackPort()
        bodies = directory.appendingPathComponent("http-received")
        try FileManager.default.createDirectory(at: bodies, withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("record.py").path
        try """
        import os, sys, time
        from http.server import BaseHTTPRequestHandler, HTTPServer
        port, folder = int(sys.argv[1]), sys.argv[2]
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = "%020d" % time.time_ns()
                with open(os.path.join(folder, name + ".tmp"), "wb") as f:
                    f.write((self.headers.get("Content-Type", "") + "\\n").encode() + body)
                os.rename(os.path.join(folder, name + ".tmp"), os.path.join(folder, name))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            def log_message(self, *args):
                pass
        HTTPServer(("127.0.0.1", port), Handler).serve_forever()
        """.write(toFile: script, atomically: true, encoding: .utf8)
        pid = try ChildProcess.startInBackground(["/usr/bin/python3", script, String(port), bodies.path],
                                                 environment: ProcessInfo.processInfo.environment,
                                                 outputFile: directory.appendingPathComponent("http.log").path)
        try BackgroundServer.waitUntilListening(port)
    }

    deinit { BackgroundServer.stop(pid) }

    public var url: String { "http://127.0.0.1:\(port)/kith" }

    /// Every request received so far, oldest first: (Content-Type, body).
    public var requests: [(contentType: String, body: String)] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: bodies.path)) ?? []).filter { !$0.hasSuffix(".tmp") }.sorted()
        return files.compactMap { name in
            guard let text = try? String(contentsOf: bodies.appendingPathComponent(name), encoding: .utf8),
                  let newline = text.firstIndex(of: "\n") else { return nil }
            return (String(text[..<newline]), String(text[text.index(after: newline)...]))
        }
    }
}

enum BackgroundServer {
    static func waitUntilListening(_ port: Int) throws {
        let deadline = Date().addingTimeInterval(15)
        while !DovecotServer.canConnect(port: port) {
            guard Date() < deadline else { throw TestSupportError("nothing listens on port \(port)") }
            usleep(50_000)
        }
    }

    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
