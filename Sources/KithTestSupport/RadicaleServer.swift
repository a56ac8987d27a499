import Foundation
import KithConfig
#if canImport(Glibc)
import Glibc
#endif

/// A real CardDAV server (Debian's radicale) on loopback with one user and one empty address book, `contacts`.
public final class RadicaleServer: @unchecked Sendable {
    public let port: Int
    public let user = "owner"
    public let password = "carddav-secret-pw"
    /// Where Radicale keeps the address book: one `.vcf` file per card.
    public let collectionDirectory: URL
    private let pid: pid_t
    private let tls: Bool

    /// - Parameter tls: serve HTTPS with this certificate (for `localhost`) instead of plain HTTP.
    public init(directory: URL, tls files: DovecotServer.TLSFiles? = nil) throws {
        tls = files != nil
        port = try DovecotServer.freeLoopbackPort()
        let base = directory.appendingPathComponent("radicale")
        collectionDirectory = base.appendingPathComponent("collections/collection-root/\(user)/contacts")
        try FileManager.default.createDirectory(at: collectionDirectory, withIntermediateDirectories: true)
        try #"{"tag": "VADDRESSBOOK", "D:displayname": "Contacts"}"#.write(to: collectionDirectory.appendingPathComponent(".Radicale.props"),
                                                                          atomically: true, encoding: .utf8)
        try "\(user):\(password)\n".write(to: base.appendingPathComponent("users"), atomically: true, encoding: .utf8)
        let config = base.appendingPathComponent("config")
        try """
            [server]
            hosts = 127.0.0.1:\(port)
            \(files.map { "ssl = True\ncertificate = \($0.certificate)\nkey = \($0.key)" } ?? "ssl = False")
            [auth]
            type = htpasswd
            htpasswd_filename = \(base.path)/users
            htpasswd_encryption = plain
            delay = 0
            [rights]
            type = owner_only
            [storage]
            filesystem_folder = \(base.path)/collections
            [logging]
            level = warning
            mask_passwords = True
            """.write(to: config, atomically: true, encoding: .utf8)
        pid = try ChildProcess.startInBackground(["/usr/bin/python3", "-m", "radicale", "--config", config.path],
                                                 environment: ProcessInfo.processInfo.environment,
                                                 outputFile: base.appendingPathComponent("radicale.log").path)
        try BackgroundServer.waitUntilListening(port)
    }

    deinit { BackgroundServer.stop(pid) }

    /// The address book collection's URL.
    public var url: String { tls ? "https://localhost:\(port)/\(user)/contacts/" : "http://127.0.0.1:\(port)/\(user)/contacts/" }

    /// Every card file's name, sorted.
    public var cardFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: collectionDirectory.path)) ?? []).filter { $0.hasSuffix(".vcf") }.sorted()
    }

    /// Every card read back with python3-vobject: uid, fn, emails, org, title, note (file name as `href`).
    public func cardsReadByVobject() throws -> [[String: Any]] {
        let script = """
            import json, os, sys, vobject
            folder = sys.argv[1]
            cards = []
            for name in sorted(os.listdir(folder)):
                if not name.endswith(".vcf"):
                    continue
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    card = vobject.readOne(handle.read())
                value = lambda key: card.contents[key][0].value if key in card.contents else None
                org = value("org")
                cards.append({"href": name, "uid": value("uid"), "fn": value("fn"), "version": value("version"),
                              "emails": [e.value for e in card.contents.get("email", [])],
                              "org": org[0] if isinstance(org, list) else org, "title": value("title"), "note": value("note")})
            print(json.dumps(cards))
            """
        let result = try ChildProcess.run(["/usr/bin/python3", "-c", script, collectionDirectory.path], timeoutSeconds: 30)
        guard result.status == 0 else { throw TestSupportError("vobject could not read the cards: \(String(decoding: result.errorOutput, as: UTF8.self))") }
        return (try JSONSerialization.jsonObject(with: Data(result.output)) as? [[String: Any]]) ?? []
    }
}
