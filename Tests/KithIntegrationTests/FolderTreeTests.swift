import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

/// Writes `count` messages, each from its own sender, into the Maildir++ folder `directory` (".Name").
private func addFolder(_ account: TestAccount, directory: String, senders: [String]) throws {
    let folder = account.server.maildir().appendingPathComponent(directory)
    for sub in ["cur", "new", "tmp"] {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    for (index, sender) in senders.enumerated() {
        let message = "From: \(sender)\r\nTo: me@acme.example\r\nDate: Mon, 2 Oct 2023 10:00:0\(index) +0000\r\nMessage-ID: <\(UUID().uuidString)@tree.example>\r\nSubject: s\r\n\r\nFrom the body\r\n"
        try Data(message.utf8).write(to: folder.appendingPathComponent("cur/17\(index)0000000.M\(index)P9.tree:2,S"))
    }
}

@Suite(.serialized) struct FolderTreeTests {
    /// Colliding names, a 90-character CJK name, Work/work, and a folder Dovecot cannot read: harvest and
    /// final export go on with the others, name the failing folder, and every readable message is exported once.
    @Test func collidingLongAndUnreadableFoldersAreExportedOrReportedNeverLost() throws {
        let account = try TestAccount(messages: 60, seed: 95)
        let cjk = String(repeating: "関係", count: 45)
        #expect(cjk.count == 90 && cjk.utf8.count == 270)
        try addFolder(account, directory: ".a.b", senders: ["Slash One <slash1@tree.example>", "Slash Two <slash2@tree.example>"])
        try addFolder(account, directory: ".a_b", senders: ["Under One <under1@tree.example>"])
        try addFolder(account, directory: ".a b", senders: ["Space One <space1@tree.example>", "Space Two <space2@tree.example>"])
        try addFolder(account, directory: ".Work", senders: ["Upper <upper@tree.example>"])
        try addFolder(account, directory: ".work", senders: ["Lower <lower@tree.example>"])
        try addFolder(account, directory: "." + MailboxNameEncoding.modifiedUTF7(cjk), senders: ["Long Name <cjk@tree.example>"])
        try addFolder(account, directory: ".Secret", senders: ["Hidden <secret@tree.example>"])
        // Formula-looking names, for the CSV checks below.
        try addFolder(account, directory: ".Formulas", senders: ["\"=HYPERLINK(1)\" <formula1@evil.example>", "\"@SUM(1+1)\" <formula2@evil.example>", "\"+1 555\" <formula3@evil.example>"])
        try account.server.fixOwnership()
        let secret = account.server.maildir().appendingPathComponent(".Secret").path
        chmod(secret, 0)

        let (acme, archive, harvester) = try openHarvest(account)
        let report = harvester.harvest(acme)
        #expect(report.error == nil, "\(report.summary)")
        #expect(report.failingFolders.map(\.folder) == ["Secret"], "\(report.summary)")
        #expect(report.failingFolders.first?.reason.hasPrefix("NO") == true, "\(report.failingFolders)")
        let emails = Set(try archive.contacts().map(\.email))
        for email in ["slash1@tree.example", "under1@tree.example", "space2@tree.example", "upper@tree.example", "lower@tree.example", "cjk@tree.example"] {
            #expect(emails.contains(email), "\(email) harvested although another folder failed")
        }
        #expect(!emails.contains("secret@tree.example"))

        let status = try kith(["status"], config: account.configPath)
        #expect(status.output.contains("acme: partial (1 folder failing: Secret: NO"), "\(status.output)")

        // The final export: exit 3, Secret listed as not exported, everything else exactly once and verified.
        let directory = account.directory.appendingPathComponent("exports/tree").path
        let export = try kith(["final-export", "--account", "acme", "--output", directory], config: account.configPath)
        #expect(export.status == 3, "\(export.output) \(export.errors)")
        #expect(export.output.contains("INCOMPLETE: Secret: EXAMINE Secret: NO"), "\(export.output)")
        let manifest = try ExportManifest.load(directory: directory)
        let byName = Dictionary(uniqueKeysWithValues: manifest.folders.map { ($0.name, $0) })
        #expect(byName["Secret"]?.exported == false && byName["Secret"]?.reason?.contains("NO") == true)
        for folder in manifest.folders where folder.name != "Secret" {
            #expect(folder.complete && folder.verified, "\(folder.name): \(folder.exportedCount) of \(folder.serverCount)")
        }
        let files = manifest.folders.compactMap(\.file)
        #expect(Set(files.map { $0.lowercased() }).count == files.count, "file names unique case-insensitively: \(files)")
        #expect(files.allSatisfy { $0.utf8.count <= 200 && !$0.contains("/") })
        #expect(byName[cjk]?.file.map { $0.utf8.count <= 200 } == true)
        for name in ["a/b", "a_b", "a b", "Work", "work"] { #expect(byName[name]?.exportedCount ?? 0 > 0, "\(name)") }
        try expectMboxMatchesMaildir(directory, account, excluding: ["/.Secret/"])

        // verify-export reads it back later: incomplete but intact, then a tampered file is caught.
        #expect(try kith(["verify-export", directory]).status == 3)
        let tampered = directory + "/" + (byName["a_b"]?.file ?? "")
        let handle = try #require(FileHandle(forWritingAtPath: tampered))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nx\n\n".utf8))
        try handle.close()
        let verify = try kith(["verify-export", directory])
        #expect(verify.status == 1 && verify.errors.contains("messages, manifest says"), "\(verify.output) \(verify.errors)")

        // Formula-looking names reach CSV (kith export and the final export's contacts.csv) as text starting with '.
        let csvPath = account.directory.appendingPathComponent("contacts.csv").path
        #expect(try kith(["export", "--format", "csv", "--output", csvPath], config: account.configPath).status == 0)
        let script = "import csv,sys\nfor path in sys.argv[1:]:\n    for row in csv.DictReader(open(path, newline='')):\n        if row['E-mail 1 - Value'].endswith('@evil.example'): print(row['Name'])\n"
        let names = try ChildProcess.run(["python3", "-c", script, csvPath, directory + "/contacts.csv"], timeoutSeconds: 30)
        let cells = String(decoding: names.output, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(Set(cells) == ["'=HYPERLINK(1)", "'@SUM(1+1)", "'+1 555"], "\(cells)")
        #expect(cells.count == 6)

        // The next run retries the folder: readable again, it is harvested and the account is ok.
        chmod(secret, 0o700)
        let again = harvester.harvest(acme)
        #expect(again.error == nil && again.failingFolders.isEmpty, "\(again.summary)")
        #expect(try archive.contacts().contains { $0.email == "secret@tree.example" })
        #expect(try kith(["status"], config: account.configPath).output.contains("acme: ok;"))

        // A known folder that fails again is reported; once deleted on the server it no longer makes the account partial.
        chmod(secret, 0)
        #expect(harvester.harvest(acme).failingFolders.map(\.folder) == ["Secret"])
        #expect(try kith(["status"], config: account.configPath).output.contains("acme: partial (1 folder failing: Secret"))
        try FileManager.default.removeItem(atPath: secret)
        let gone = harvester.harvest(acme)
        #expect(gone.error == nil && gone.failingFolders.isEmpty, "\(gone.summary)")
        #expect(try kith(["status"], config: account.configPath).output.contains("acme: ok;"))
        #expect(try archive.contacts().contains { $0.email == "secret@tree.example" }, "what the deleted folder held stays archived")
    }
}
