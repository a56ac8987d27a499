import Foundation

/// A throwaway CA and server certificates made with the `openssl` command, for TLS tests.
public struct TestCertificates: Sendable {
    public let directory: URL
    /// The CA that signed `server`; hand it to kith as `tls_ca_file`.
    public let caFile: String
    /// Valid for `localhost`, signed by the CA.
    public let server: DovecotServer.TLSFiles
    /// Signed by the CA, for `localhost`, but expired in 2020.
    public let expired: DovecotServer.TLSFiles
    /// A CA that signed nothing kith will see.
    public let otherCAFile: String

    public init() throws {
        directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-tls")
        chmod(directory.path, 0o755)
        let d = directory.path
        func openssl(_ arguments: [String]) throws { try Shell.run("/usr/bin/openssl", arguments) }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem", "-days", "3", "-subj", "/CN=kith test CA"])
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/other.key", "-out", "\(d)/other.pem", "-days", "3", "-subj", "/CN=another CA"])
        try "subjectAltName=DNS:localhost\n".write(toFile: "\(d)/san.cnf", atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/server.key", "-out", "\(d)/server.csr", "-subj", "/CN=localhost"])
        try openssl(["x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key", "-CAcreateserial",
                     "-out", "\(d)/server.pem", "-days", "3", "-extfile", "\(d)/san.cnf"])
        // An expired certificate needs explicit dates, which only `openssl ca` sets.
        try FileManager.default.createDirectory(atPath: "\(d)/ca", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(d)/ca/index.txt", contents: Data())
        try "1000\n".write(toFile: "\(d)/ca/serial", atomically: true, encoding: .utf8)
        try """
        [ca]
        default_ca = test
        [test]
        dir = \(d)/ca
        database = \(d)/ca/index.txt
        serial = \(d)/ca/serial
        new_certs_dir = \(d)/ca
        default_md = sha256
        policy = any
        copy_extensions = copy
        [any]
        commonName = supplied
        [ext]
        subjectAltName = DNS:localhost
        """.write(toFile: "\(d)/ca.cnf", atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/expired.key", "-out", "\(d)/expired.csr", "-subj", "/CN=localhost"])
        try openssl(["ca", "-batch", "-config", "\(d)/ca.cnf", "-cert", "\(d)/ca.pem", "-keyfile", "\(d)/ca.key", "-in", "\(d)/expired.csr",
                     "-out", "\(d)/expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extensions", "ext", "-notext"])
        for file in ["server.key", "expired.key"] { chmod("\(d)/\(file)", 0o644) }
        caFile = "\(d)/ca.pem"
        otherCAFile = "\(d)/other.pem"
        server = DovecotServer.TLSFiles(certificate: "\(d)/server.pem", key: "\(d)/server.key")
        expired = DovecotServer.TLSFiles(certificate: "\(d)/expired.pem", key: "\(d)/expired.key")
    }

    /// A certificate for `hostnames`, signed by the CA of `caFile`.
    public func issue(hostnames: [String]) throws -> DovecotServer.TLSFiles {
        let d = directory.path
        let name = "host-\(UUID().uuidString.prefix(8))"
        try ("subjectAltName=" + hostnames.map { "DNS:\($0)" }.joined(separator: ",") + "\n").write(toFile: "\(d)/\(name).cnf", atomically: true, encoding: .utf8)
        try Shell.run("/usr/bin/openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr",
                                           "-subj", "/CN=\(hostnames.first ?? "localhost")"])
        try Shell.run("/usr/bin/openssl", ["x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key",
                                           "-CAcreateserial", "-out", "\(d)/\(name).pem", "-days", "3", "-extfile", "\(d)/\(name).cnf"])
        return DovecotServer.TLSFiles(certificate: "\(d)/\(name).pem", key: "\(d)/\(name).key")
    }
}
