import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithMail
import KithTestSupport

/// Reads every mbox in `directory` with Python's `mailbox.mbox` and prints one SHA-256 per message
/// (of its bytes with CRLF folded to LF), so the test compares with the Maildir files independently of kith.
private let pythonDigests = """
import glob, hashlib, mailbox, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.mbox")):
    box = mailbox.mbox(path, create=False)
    for key in box.keys():
        data = box.get_bytes(key)
        print(path.rsplit("/", 1)[1], hashlib.sha256(data.replace(b"\\r\\n", b"\\n")).hexdigest())
"""

@Suite(.serialized) struct FinalExportTests {
    @Test func exportsEveryMessageAsMboxThatPythonReadsBackAndTheContacts() throws {
        let account = try TestAccount(messages: 80, seed: 91)
        let (acme, archive, harvester) = try openHarvest(account)
        #expect(harvester.harvest(acme).error == nil)
        let directory = account.directory.appendingPathComponent("exports/acme/2027-03-17").path
        let manifest = try FinalExporter(archive: archive, logger: quietLogger()).export(acme, to: directory)

        #expect(manifest.complete, "\(manifest.summary)")
        let expectedInExport = account.mailbox.messages.filter { !["Junk", "Trash"].contains($0.folder) }.count
        #expect(manifest.exportedMessages == expectedInExport)
        #expect(manifest.contacts == account.mailbox.expectedContacts().count)

        let script = account.directory.appendingPathComponent("digests.py").path
        try pythonDigests.write(toFile: script, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(["python3", script, directory], timeoutSeconds: 60)
        #expect(result.status == 0, "\(String(decoding: result.errorOutput, as: UTF8.self))")
        var fromMbox: [String: Int] = [:]
        for line in String(decoding: result.output, as: UTF8.self).split(separator: "\n") {
            fromMbox[String(line.split(separator: " ")[1]), default: 0] += 1
        }
        var fromMaildir: [String: Int] = [:]
        for file in try SampleMailbox.messageFiles(in: account.server.maildir()) where !file.hasPrefix("/.Junk/") && !file.hasPrefix("/.Trash/") {
            let data = try Data(contentsOf: URL(fileURLWithPath: account.server.maildir().path + file))
            let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            fromMaildir[Digest.sha256Hex(Array(text.utf8)), default: 0] += 1
        }
        #expect(fromMbox == fromMaildir, "the mbox files hold exactly the server's messages")

        for folder in manifest.folders {
            #expect(try SHA256Stream.file(directory + "/" + folder.file) == folder.sha256)
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: directory)
        #expect(attributes[.posixPermissions] as? Int == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where !name.hasPrefix(".") {
            #expect(try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.posixPermissions] as? Int == 0o600, "\(name)")
        }
        let manifestJSON = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))) as? [String: Any])
        #expect(manifestJSON["complete"] as? Bool == true)
        #expect((manifestJSON["folders"] as? [[String: Any]])?.first?["server_count"] != nil)

        let vcf = try String(contentsOfFile: directory + "/contacts.vcf", encoding: .utf8)
        #expect(vcf.components(separatedBy: "BEGIN:VCARD").count - 1 == manifest.contacts)
        #expect(vcf.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 75 }, "lines are folded at 75 octets")
        // An independent vCard parser (Debian's python3-vobject) reads every card back, names included.
        let vobject = try ChildProcess.run(["/usr/bin/python3", "-c", "import vobject,sys\ncards = list(vobject.readComponents(open(sys.argv[1], newline='').read()))\nprint(len(cards)); print(sum(1 for c in cards if c.email.value and c.fn.value))", directory + "/contacts.vcf"], timeoutSeconds: 60)
        #expect(vobject.status == 0, "\(String(decoding: vobject.errorOutput, as: UTF8.self))")
        #expect(String(decoding: vobject.output, as: UTF8.self).split(separator: "\n") == [Substring(String(manifest.contacts)), Substring(String(manifest.contacts))])
        let csv = try String(contentsOfFile: directory + "/contacts.csv", encoding: .utf8)
        #expect(csv.hasPrefix("Name,E-mail 1 - Type,E-mail 1 - Value,Notes\r\n"))
    }

    @Test func anInterruptedExportResumesWithoutDuplicates() throws {
        let account = try TestAccount(messages: 120, seed: 92)
        let (acme, archive, harvester) = try openHarvest(account)
        #expect(harvester.harvest(acme).error == nil)
        let directory = account.directory.appendingPathComponent("exports/acme/today").path

        // Cut the connection part-way through the first export.
        let proxy = try FaultProxy(upstreamPort: account.server.port, fault: .cutAfter(serverBytes: 40_000))
        var viaProxy = acme
        viaProxy.url = "imap://127.0.0.1:\(proxy.port)"
        var exporter = FinalExporter(archive: archive, logger: quietLogger())
        exporter.chunkSize = 10
        #expect(throws: (any Error).self) { try exporter.export(viaProxy, to: directory) }
        proxy.stop()

        let manifest = try exporter.export(acme, to: directory)
        #expect(manifest.complete, "\(manifest.summary)")
        #expect(manifest.exportedMessages == account.mailbox.messages.filter { !["Junk", "Trash"].contains($0.folder) }.count)
        let script = account.directory.appendingPathComponent("count.py").path
        try "import glob,mailbox,sys\nprint(sum(len(mailbox.mbox(p)) for p in glob.glob(sys.argv[1] + '/*.mbox')))\n".write(toFile: script, atomically: true, encoding: .utf8)
        let count = try ChildProcess.run(["python3", script, directory], timeoutSeconds: 60)
        #expect(String(decoding: count.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == String(manifest.exportedMessages))
    }
}
