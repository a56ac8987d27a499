import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithTestSupport

/// A config with an archive and no account at all: enough for `kith import`.
private func archiveOnlyConfig(_ directory: URL, extra: String = "") throws -> String {
    let path = directory.appendingPathComponent("kith.toml").path
    try "[archive]\npath = \"\(directory.path)/state/archive.sqlite\"\n\(extra)".write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

private func importing(_ paths: [String], sample: SampleMailbox, into directory: URL, account: String = "oldjob") throws -> (status: Int32, output: String, errors: String) {
    let config = try archiveOnlyConfig(directory)
    return try kith(["import", "--account", account] + sample.ownerAddresses.flatMap { ["--address", $0] } + paths, config: config)
}

private func archive(in directory: URL) throws -> Archive {
    try Archive(path: directory.appendingPathComponent("state/archive.sqlite").path, create: false)
}

@Suite(.serialized) struct ImportTests {
    /// Google Takeout: one mbox, every message once with its labels; spam, trash and drafts do not count.
    @Test(arguments: ["\n", "\r\n"])
    func takeoutMboxEqualsTheModel(lineEnd: String) throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let sample = SampleMailbox.generate(count: 400, seed: 131)
        let mbox = directory.appendingPathComponent("All mail Including Spam and Trash.mbox").path
        try sample.writeTakeoutMbox(to: mbox, lineEnd: lineEnd)
        let result = try importing([mbox], sample: sample, into: directory)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("not counted"), "\(result.output)")
        try expectArchiveMatchesModel(try archive(in: directory), sample, account: "oldjob")

        // Again: nothing new, nothing counted twice.
        let again = try importing([mbox], sample: sample, into: directory)
        #expect(again.status == 0 && again.output.contains(", 0 new") && again.output.contains("already imported"), "\(again.output)")
        try expectArchiveMatchesModel(try archive(in: directory), sample, account: "oldjob")
        let status = try kith(["status"], config: directory.appendingPathComponent("kith.toml").path)
        #expect(status.output.contains("oldjob: imported;"), "\(status.output)")
    }

    /// A Maildir++ tree (as Dovecot keeps it) and a tree of .eml files: folder roles by name.
    @Test func maildirAndEmlTreesEqualTheModel() throws {
        let sample = SampleMailbox.generate(count: 300, seed: 137)
        let maildirHome = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let maildir = maildirHome.appendingPathComponent("Maildir")
        try sample.write(to: maildir)
        let fromMaildir = try importing([maildir.path], sample: sample, into: maildirHome)
        #expect(fromMaildir.status == 0, "\(fromMaildir.errors)")
        #expect(fromMaildir.output.contains("skipped") && fromMaildir.output.contains("Junk (junk"), "\(fromMaildir.output)")
        try expectArchiveMatchesModel(try archive(in: maildirHome), sample, account: "oldjob")

        let emlHome = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let tree = emlHome.appendingPathComponent("saved-mail")
        try sample.writeEmlTree(to: tree)
        let fromEml = try importing([tree.path], sample: sample, into: emlHome)
        #expect(fromEml.status == 0, "\(fromEml.errors)")
        try expectArchiveMatchesModel(try archive(in: emlHome), sample, account: "oldjob")
    }

    /// Apple Mail: an exported `.mbox` bundle holding an `mbox` file, and Mail's own `Messages/*.emlx`.
    @Test func appleMailBundles() throws {
        let sample = SampleMailbox.generate(count: 120, seed: 139)
        let home = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let export = home.appendingPathComponent("Mail export")
        let harvested = sample.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) }
        let (first, second) = (harvested.filter { $0.folder == "INBOX" }, harvested.filter { $0.folder != "INBOX" })
        let bundle = export.appendingPathComponent("Work.mbox")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        try Data(first.map { SampleMailbox.mboxEntry($0) }.joined().utf8).write(to: bundle.appendingPathComponent("mbox"))
        let messages = export.appendingPathComponent("Older.mbox/1A2B/Data/Messages")
        try FileManager.default.createDirectory(at: messages, withIntermediateDirectories: true)
        for (index, message) in second.enumerated() {
            let bytes = Data(message.render().utf8)
            let file = messages.appendingPathComponent("\(index + 1).emlx")
            try (Data("\(bytes.count)\n".utf8) + bytes + Data("<?xml version=\"1.0\"?><plist></plist>\n".utf8)).write(to: file)
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: TimeInterval(message.internalDate))], ofItemAtPath: file.path)
        }
        let result = try importing([export.path], sample: sample, into: home)
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("imported 2 folders"), "\(result.output)")
        try expectArchiveMatchesModel(try archive(in: home), SampleMailbox(ownerAddresses: sample.ownerAddresses, messages: harvested), account: "oldjob")
    }

    /// A harvest, its final export re-imported into a fresh archive: the same contacts. And mail a harvest
    /// already archived, imported into that account, adds nothing.
    @Test func aFinalExportReimportedGivesTheHarvestsContacts() throws {
        let account = try TestAccount(messages: 250, seed: 149)
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        let exportDirectory = account.directory.appendingPathComponent("final").path
        let export = try kith(["final-export", "--account", "acme", "--output", exportDirectory], config: account.configPath)
        #expect(export.status == 0, "\(export.errors)")
        let manifest = try String(contentsOfFile: exportDirectory + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"role\" : \"drafts\"") || !account.mailbox.messages.contains { $0.folder == "Drafts" }, "roles recorded")

        let fresh = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let reimport = try importing([exportDirectory], sample: account.mailbox, into: fresh, account: "acme")
        #expect(reimport.status == 0, "\(reimport.errors)")
        try expectArchiveMatchesModel(try archive(in: fresh), account.mailbox)

        let before = try Archive(path: account.archivePath, create: false).messageCount()
        let same = try kith(["import", "--account", "acme", account.server.maildir().path], config: account.configPath)
        #expect(same.status == 0 && same.output.contains(", 0 new"), "\(same.output) \(same.errors)")
        #expect(try Archive(path: account.archivePath, create: false).messageCount() == before)
        #expect(try kith(["harvest"], config: account.configPath).status == 0, "the import's folders are never sent to the server")
    }

    /// Killed at any moment, then run again: the archive equals the model, nothing counted twice.
    @Test func aKilledImportFinishesWhenRunAgain() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let sample = SampleMailbox.generate(count: 8_000, seed: 151)
        let mbox = directory.appendingPathComponent("big.mbox").path
        try sample.writeTakeoutMbox(to: mbox)
        let config = try archiveOnlyConfig(directory)
        let arguments = [kithBinary, "import", "--account", "oldjob"] + sample.ownerAddresses.flatMap { ["--address", $0] } + [mbox]
        let process = try BackgroundProcess(arguments, environment: ["KITH_CONFIG": config, "PATH": "/usr/bin:/bin"],
                                            logFile: directory.appendingPathComponent("import.log").path)
        // Killed once some batches are committed and before the end.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? archive(in: directory).messageCount()) ?? 0) < 2_000 { usleep(20_000) }
        process.signal(SIGKILL)
        #expect(process.waitForExit(timeout: 10) == 128 + SIGKILL, "the import was still running when killed")
        let rerun = try kith(Array(arguments.dropFirst()), config: config)
        #expect(rerun.status == 0, "\(rerun.errors)")
        #expect(rerun.output.contains("already imported"), "the second run went on where the first stopped: \(rerun.output)")
        try expectArchiveMatchesModel(try archive(in: directory), sample, account: "oldjob")
    }

    @Test func anOutlookFileWithoutReadpstNamesThePackage() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let pst = directory.appendingPathComponent("backup.pst").path
        try Data("!BDN".utf8).write(to: URL(fileURLWithPath: pst))
        let config = try archiveOnlyConfig(directory)
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_CONFIG"] = config
        environment["PATH"] = directory.path
        let result = try ChildProcess.run([kithBinary, "import", "--account", "old", "--address", "me@old.example", pst],
                                          environment: environment, timeoutSeconds: 60)
        #expect(result.status == 1)
        #expect(String(decoding: result.errorOutput, as: UTF8.self).contains("pst-utils"))
    }

    /// An `[[account]]` without url: known from imported mail only, never contacted, shown as imported.
    @Test func anArchiveOnlyAccountBlock() throws {
        let directory = try DovecotServer.makeTemporaryDirectory(prefix: "kith-import")
        let config = try archiveOnlyConfig(directory, extra: """
            [[account]]
            name = "firstjob"
            addresses = ["me@first.example", "first.last@first.example"]
            closes_on = 2015-06-30
            """)
        let check = try kith(["check-config"], config: config)
        #expect(check.status == 0, "\(check.errors)")
        let harvest = try kith(["harvest"], config: config)
        #expect(harvest.status == 0 && harvest.output.isEmpty, "nothing to harvest: \(harvest.output) \(harvest.errors)")
        let named = try kith(["harvest", "--account", "firstjob"], config: config)
        #expect(named.status == 2 && named.errors.contains("known from imported mail only"), "\(named.errors)")
        let sample = SampleMailbox.generate(count: 60, seed: 157, ownerAddresses: ["me@first.example", "first.last@first.example"])
        let mbox = directory.appendingPathComponent("first.mbox").path
        try sample.writeTakeoutMbox(to: mbox)
        let result = try kith(["import", "--account", "firstjob", mbox], config: config)
        #expect(result.status == 0, "addresses come from the block: \(result.errors)")
        try expectArchiveMatchesModel(try archive(in: directory), sample, account: "firstjob")
        #expect(try kith(["status"], config: config).output.contains("firstjob: imported;"))
    }

    /// A backup taken while a harvest writes is a consistent archive: it opens and verifies.
    @Test func aBackupDuringAHarvestVerifies() throws {
        let account = try TestAccount(messages: 6_000, seed: 163)
        let harvest = try BackgroundProcess([kithBinary, "harvest", "--chunk-size", "100"],
                                            environment: ["KITH_CONFIG": account.configPath, "PATH": "/usr/bin:/bin"],
                                            logFile: account.directory.appendingPathComponent("harvest.log").path)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? Archive(path: account.archivePath, create: false).messageCount()) ?? 0) < 500 { usleep(10_000) }
        let backupPath = account.directory.appendingPathComponent("backup.sqlite").path
        let backup = try kith(["backup", backupPath], config: account.configPath)
        #expect(harvest.waitForExit(timeout: 120) == 0, "\(harvest.output)")
        #expect(backup.status == 0 && backup.output.contains("verified"), "\(backup.output) \(backup.errors)")
        let copied = try Archive(path: backupPath, create: false)
        #expect(try copied.verify() == [])
        let total = try Archive(path: account.archivePath, create: false).messageCount()
        #expect(try copied.messageCount() > 0 && copied.messageCount() <= total)
        #expect(try kith(["verify"], config: account.configPath).status == 0)
    }
}
