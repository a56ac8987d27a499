import Foundation
import KithConfig
#if canImport(Glibc)
import Glibc
#endif

/// A DNS server on a loopback UDP port answering MX and SRV questions from a fixed table, NXDOMAIN
/// for anything else: what `kith add` asks, made local (kith reads `$KITH_DNS_SERVER` in tests).
public final class DNSTestServer: @unchecked Sendable {
    public let port: Int
    private let pid: pid_t

    public var address: String { "127.0.0.1:\(port)" }

    /// `mx`: domain → exchanger hosts; `srv`: `_imaps._tcp.domain` → (port, target).
    public init(directory: URL, mx: [String: [String]] = [:], srv: [String: (port: Int, target: String)] = [:]) throws {
        port = try DovecotServer.freeLoopbackPort()
        let records: [String: Any] = ["mx": mx, "srv": srv.mapValues { [$0.port, $0.target] }]
        let table = directory.appendingPathComponent("dns-records.json").path
        try JSONSerialization.data(withJSONObject: records).write(to: URL(fileURLWithPath: table))
        let script = directory.appendingPathComponent("dns-server.py").path
        try #"""
        import json, socket, struct, sys
        port, table = int(sys.argv[1]), json.load(open(sys.argv[2]))
        def name(text):
            return b"".join(bytes([len(label)]) + label.encode() for label in text.strip(".").split(".")) + b"\0"
        def question(packet):
            labels, i = [], 12
            while packet[i]:
                labels.append(packet[i + 1:i + 1 + packet[i]].decode()); i += 1 + packet[i]
            qtype = struct.unpack(">H", packet[i + 1:i + 3])[0]
            return ".".join(labels).lower(), qtype, packet[12:i + 5]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        while True:
            packet, peer = s.recvfrom(4096)
            qname, qtype, raw = question(packet)
            answers = []
            if qtype == 15:
                for pref, host in enumerate(table["mx"].get(qname, [])):
                    data = struct.pack(">H", 10 * (pref + 1)) + name(host)
                    answers.append(name(qname) + struct.pack(">HHIH", 15, 1, 300, len(data)) + data)
            if qtype == 33 and qname in table["srv"]:
                port_, target = table["srv"][qname]
                data = struct.pack(">HHH", 0, 1, port_) + name(target)
                answers.append(name(qname) + struct.pack(">HHIH", 33, 1, 300, len(data)) + data)
            known = qname in table["mx"] or qname in table["srv"] or any(qname == k.split(".", 2)[-1] for k in table["srv"])
            rcode = 0 if answers or known else 3
            header = packet[:2] + struct.pack(">BBHHHH", 0x81, 0x80 | rcode, 1, len(answers), 0, 0)
            s.sendto(header + raw + b"".join(answers), peer)
        """#.write(toFile: script, atomically: true, encoding: .utf8)
        pid = try ChildProcess.startInBackground(["python3", script, String(port), table], environment: ProcessInfo.processInfo.environment,
                                                 outputFile: directory.appendingPathComponent("dns-server.out").path)
        usleep(300_000)
    }

    deinit { BackgroundServer.stop(pid) }
}

/// An HTTPS server on a loopback port serving Mozilla-style autoconfig XML for one domain, with a
/// certificate for `autoconfig.DOMAIN` and `DOMAIN` signed by a test CA.
public final class AutoconfigTestServer: @unchecked Sendable {
    public let port: Int
    public let caFile: String
    private let pid: pid_t

    public init(directory: URL, domain: String, imapHost: String, imapPort: Int, socketType: String = "SSL", authentication: String = "password-cleartext") throws {
        let certificates = try TestCertificates()
        let tls = try certificates.issue(hostnames: ["autoconfig.\(domain)", domain])
        caFile = certificates.caFile
        port = try DovecotServer.freeLoopbackPort()
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <clientConfig version="1.1">
              <emailProvider id="\(domain)">
                <domain>\(domain)</domain>
                <displayName>\(domain) mail</displayName>
                <incomingServer type="pop3"><hostname>pop.\(domain)</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
                <incomingServer type="imap">
                  <hostname>\(imapHost)</hostname>
                  <port>\(imapPort)</port>
                  <socketType>\(socketType)</socketType>
                  <authentication>\(authentication)</authentication>
                  <username>%EMAILADDRESS%</username>
                </incomingServer>
              </emailProvider>
            </clientConfig>
            """
        let file = directory.appendingPathComponent("config-v1.1.xml").path
        try xml.write(toFile: file, atomically: true, encoding: .utf8)
        let script = directory.appendingPathComponent("autoconfig-server.py").path
        try #"""
        import ssl, sys
        from http.server import BaseHTTPRequestHandler, HTTPServer
        port, xml, cert, key = int(sys.argv[1]), open(sys.argv[2], "rb").read(), sys.argv[3], sys.argv[4]
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                ok = path in ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
                body = xml if ok else b"not found"
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = HTTPServer(("127.0.0.1", port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.serve_forever()
        """#.write(toFile: script, atomically: true, encoding: .utf8)
        pid = try ChildProcess.startInBackground(["python3", script, String(port), file, tls.certificate, tls.key],
                                                 environment: ProcessInfo.processInfo.environment,
                                                 outputFile: directory.appendingPathComponent("autoconfig-server.out").path)
        try BackgroundServer.waitUntilListening(port)
    }

    deinit { BackgroundServer.stop(pid) }

    /// The environment that makes kith reach this server for `autoconfig.DOMAIN` and trust its CA (test hooks).
    public var environment: [String: String] { ["KITH_TEST_CONNECT_TO": "127.0.0.1:\(port)", "KITH_TEST_CA_FILE": caFile] }
}
