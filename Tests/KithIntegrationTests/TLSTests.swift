import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

/// Starts a TLS Dovecot with `files`, harvests `url` (a closure of the server) trusting `caFile`, returns the report.
private func harvestTLS(_ files: DovecotServer.TLSFiles, caFile: String?, url: (DovecotServer) -> String,
                        check: (HarvestReport, Archive, SampleMailbox) throws -> Void) throws {
    let server = try DovecotServer(users: ["owner": "tls-pw"], tls: files)
    let mailbox = SampleMailbox.generate(count: 30, seed: 51)
    try mailbox.write(to: server.maildir())
    try server.start()
    let archive = try Archive(path: server.root.appendingPathComponent("archive.sqlite").path)
    var harvester = Harvester(archive: archive, logger: quietLogger())
    harvester.environment["KITH_TLS_TEST_PW"] = "tls-pw"
    let account = AccountConfig(name: "acme", url: url(server), username: "owner", password: .environment("KITH_TLS_TEST_PW"),
                                addresses: mailbox.ownerAddresses, tlsCAFile: caFile)
    try check(harvester.harvest(account), archive, mailbox)
}

@Suite(.serialized) struct TLSTests {
    static let certificates = Result { try TestCertificates() }

    @Test func implicitTLSWithTheAddedCA() throws {
        let certificates = try Self.certificates.get()
        try harvestTLS(certificates.server, caFile: certificates.caFile, url: \.url) { report, archive, mailbox in
            #expect(report.error == nil, "\(report.summary)")
            try expectArchiveMatchesModel(archive, mailbox)
        }
    }

    @Test func startTLSWithTheAddedCA() throws {
        let certificates = try Self.certificates.get()
        try harvestTLS(certificates.server, caFile: certificates.caFile, url: \.starttlsURL) { report, archive, mailbox in
            #expect(report.error == nil, "\(report.summary)")
            try expectArchiveMatchesModel(archive, mailbox)
        }
    }

    @Test func certificateFromAnotherCAIsRefused() throws {
        let certificates = try Self.certificates.get()
        try harvestTLS(certificates.server, caFile: certificates.otherCAFile, url: \.url) { report, archive, _ in
            let error = try #require(report.error)
            #expect(error.reason.lowercased().contains("certificate"), "\(error)")
            #expect(error.retry == .never)
            #expect(try archive.messageCount() == 0)
        }
    }

    @Test func wrongHostNameIsRefused() throws {
        let certificates = try Self.certificates.get()
        try harvestTLS(certificates.server, caFile: certificates.caFile, url: { "imaps://127.0.0.1:\($0.port)" }) { report, _, _ in
            let error = try #require(report.error)
            #expect(error.reason.contains("127.0.0.1") || error.reason.lowercased().contains("subject name"), "\(error)")
            #expect(error.retry == .never)
        }
    }

    @Test func expiredCertificateIsRefused() throws {
        let certificates = try Self.certificates.get()
        try harvestTLS(certificates.expired, caFile: certificates.caFile, url: \.url) { report, _, _ in
            let error = try #require(report.error)
            #expect(error.reason.lowercased().contains("expired"), "\(error)")
        }
    }

    @Test func plainIMAPWithoutSTARTTLSIsRefusedUnlessAllowed() throws {
        let account = try TestAccount(messages: 10, seed: 52)
        var config = try ConfigLoader.load(path: account.configPath).accounts[0]
        config.allowPlaintext = false
        let archive = try Archive(path: account.archivePath)
        let report = Harvester(archive: archive, logger: quietLogger()).harvest(config)
        let error = try #require(report.error, "a server without STARTTLS must be refused on imap://")
        #expect(error.retry == .never)
        #expect(try archive.messageCount() == 0)
    }
}
