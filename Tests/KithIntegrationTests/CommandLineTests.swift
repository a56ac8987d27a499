import Foundation
import Testing
import KithConfig
import KithTestSupport

/// The built `kith` executable, next to the test bundle.
private var kithBinary: String {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return bundleDirectory.appendingPathComponent("kith").path
}

private func kith(_ arguments: [String], config: String? = nil) throws -> (status: Int32, output: String, errors: String) {
    var environment = ProcessInfo.processInfo.environment
    if let config { environment["KITH_CONFIG"] = config }
    environment.removeValue(forKey: "JOURNAL_STREAM")
    let result = try ChildProcess.run([kithBinary] + arguments, environment: environment, timeoutSeconds: 120)
    return (result.status, String(decoding: result.output, as: UTF8.self), String(decoding: result.errorOutput, as: UTF8.self))
}

@Suite(.serialized) struct CommandLineTests {
    @Test func harvestContactsExportAndCheckConfigOnARealServer() throws {
        try #require(FileManager.default.isExecutableFile(atPath: kithBinary), "build the kith product first")
        let account = try TestAccount(messages: 120, seed: 21)

        let check = try kith(["check-config"], config: account.configPath)
        #expect(check.status == 0)
        #expect(check.output.contains("account \"acme\""))

        let harvest = try kith(["harvest"], config: account.configPath)
        #expect(harvest.status == 0, "\(harvest.errors)")
        #expect(harvest.output.contains("acme: 4 folders read"))
        #expect(harvest.errors.contains("connecting without TLS (allow_plaintext = true)"), "plaintext is warned about on every connect")

        let export = try kith(["export", "--format", "json"], config: account.configPath)
        #expect(export.status == 0)
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(export.output.utf8)) as? [[String: Any]])
        let expected = account.mailbox.expectedContacts()
        #expect(objects.count == expected.count)
        #expect(objects.map { $0["email"] as! String } == expected.keys.sorted(), "sorted by email")
        for object in objects {
            #expect(Set(object.keys) == ["email", "name", "accounts", "sent", "received", "messages", "first_seen", "last_seen", "automated"])
            let want = expected[object["email"] as! String]!
            #expect(object["messages"] as? Int == want.messages)
            #expect((object["name"] as? String) == want.name)
        }

        let top = try kith(["contacts", "--limit", "3", "--json"], config: account.configPath)
        let topObjects = try #require(try JSONSerialization.jsonObject(with: Data(top.output.utf8)) as? [[String: Any]])
        #expect(topObjects.count == 3)
        let most = expected.values.map(\.messages).max()!
        #expect(topObjects.contains { $0["messages"] as? Int == most })

        let search = try kith(["contacts", "--search", "NEWSLETTER.example"], config: account.configPath)
        #expect(search.status == 0 && search.output.contains("news0@newsletter.example"))
        #expect(!search.output.contains("@acme.example"))

        for output in [check.output, check.errors, harvest.output, harvest.errors, export.output] {
            #expect(!output.contains(account.password), "a secret reached the output")
        }
        let archiveBytes = try Data(contentsOf: URL(fileURLWithPath: account.archivePath)) + ((try? Data(contentsOf: URL(fileURLWithPath: account.archivePath + "-wal"))) ?? Data())
        #expect(archiveBytes.range(of: Data(account.password.utf8)) == nil, "the password reached the archive")
    }

    @Test func logLinesCarryJournaldPrioritiesUnderSystemd() throws {
        let account = try TestAccount(messages: 5, seed: 4)
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_CONFIG"] = account.configPath
        environment["JOURNAL_STREAM"] = "8:12345"
        let result = try ChildProcess.run([kithBinary, "harvest", "--log-level", "info"], environment: environment, timeoutSeconds: 60)
        let lines = String(decoding: result.errorOutput, as: UTF8.self).split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<4>connecting without TLS") }, "\(lines)")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("<") }, "\(lines)")
    }

    @Test func userErrorsAreOneClearLineAndANonZeroExit() throws {
        let account = try TestAccount(messages: 3, seed: 2)
        let unknown = try kith(["harvest", "--account", "nope"], config: account.configPath)
        #expect(unknown.status == 2)
        #expect(unknown.errors.contains("no account named \"nope\""))

        let noArchive = try kith(["contacts"], config: account.configPath)
        #expect(noArchive.status == 2)
        #expect(noArchive.errors.contains("run `kith harvest` first"))

        let missing = try kith(["check-config"], config: "/nonexistent/kith.toml")
        #expect(missing.status == 2)
        #expect(missing.errors.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)

        account.server.stop()
        let down = try kith(["harvest"], config: account.configPath)
        #expect(down.status == 1)
        #expect(down.output.contains("acme: FAILED"))
        #expect(!down.errors.contains(account.password) && !down.output.contains(account.password))
    }
}
