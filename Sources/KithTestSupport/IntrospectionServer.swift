import Foundation
import KithConfig
#if canImport(Glibc)
import Glibc
#endif

/// A local OAuth2 token introspection endpoint (RFC 7662) for Dovecot's `oauth2` passdb: a token is active
/// when it equals the current content of `validTokenFile`. Runs Python's http.server in the background.
public final class IntrospectionServer: @unchecked Sendable {
    public let port: Int
    public let validTokenFile: String
    /// Every token the server was asked about, one per line.
    public let requestLog: String
    private let pid: pid_t

    public var url: String { "http://127.0.0.1:\(port)/introspect" }

    public init(directory: URL, username: String, validToken: String) throws {
        port = try DovecotServer.freeLoopbackPort()
        validTokenFile = directory.appendingPathComponent("valid-token").path
        requestLog = directory.appendingPathComponent("introspection.log").path
        try validToken.write(toFile: validTokenFile, atomically: true, encoding: .utf8)
        let script = directory.appendingPathComponent("introspect.py").path
        try """
        import json, sys, urllib.parse
        from http.server import BaseHTTPRequestHandler, HTTPServer
        port, token_file, log_file, username = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                token = urllib.parse.parse_qs(body).get("token", [""])[0]
                with open(log_file, "a") as log:
                    log.write(token + "\\n")
                valid = open(token_file).read().strip()
                answer = {"active": True, "username": username} if token == valid else {"active": False}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *args):
                pass
        HTTPServer(("127.0.0.1", port), Handler).serve_forever()
        """.write(toFile: script, atomically: true, encoding: .utf8)
        pid = try ChildProcess.startInBackground(["python3", script, String(port), validTokenFile, requestLog, username],
                                                 environment: ProcessInfo.processInfo.environment,
                                                 outputFile: directory.appendingPathComponent("introspect.out").path)
        try BackgroundServer.waitUntilListening(port)
    }

    deinit { BackgroundServer.stop(pid) }

    /// The tokens the server has been asked about so far.
    public var requestedTokens: [String] {
        ((try? String(contentsOfFile: requestLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
