import Foundation

/// A Dovecot seeded with a sample mailbox and a kith config pointing at it: what most integration tests start from.
public final class TestAccount: @unchecked Sendable {
    public let server: DovecotServer
    public let directory: URL
    public let configPath: String
    public let archivePath: String
    public let password = "owner-secret-pw"
    public private(set) var mailbox: SampleMailbox

    /// - Parameter mailbox: the mail to serve; a generated sample of `messages` when nil.
    public init(messages: Int, seed: UInt64 = 7, extraAccountLines: String = "", mailbox given: SampleMailbox? = nil) throws {
        server = try DovecotServer(users: ["owner": password])
        directory = server.root.appendingPathComponent("kith")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        mailbox = given ?? SampleMailbox.generate(count: messages, seed: seed)
        try mailbox.write(to: server.maildir())
        try server.start()
        archivePath = directory.appendingPathComponent("state/archive.sqlite").path
        let passwordFile = directory.appendingPathComponent("acme.password").path
        try SampleConfig.writePasswordFile(password, to: passwordFile)
        configPath = directory.appendingPathComponent("kith.toml").path
        let config = "[archive]\npath = \"\(archivePath)\"\n" + SampleConfig.accountBlock(
            name: "acme", url: server.url, username: "owner", passwordFile: passwordFile,
            addresses: ["me@acme.example", "Firstname.Lastname@acme.example"], extra: extraAccountLines)
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Delivers more generated mail (distinct from what is there) while the server runs.
    @discardableResult
    public func deliver(messages count: Int, seed: UInt64 = 7) throws -> SampleMailbox {
        let more = SampleMailbox.generate(count: count, seed: seed, firstIndex: mailbox.messages.count + 100_000)
        try deliver(more.messages)
        return more
    }

    /// Delivers `messages` as they are while the server runs.
    public func deliver(_ messages: [SampleMessage]) throws {
        let offset = mailbox.messages.count
        for (index, message) in messages.enumerated() {
            try message.write(to: server.maildir(), fileName: "\(1_700_000_000 + offset + index).M\(offset + index)P2.kith")
        }
        try server.fixOwnership()
        mailbox.messages += messages
    }
}
