import Foundation
import Testing
import KithArchive
import KithConfig
import KithHarvest
import KithMail
import KithTestSupport

/// Reads every mbox in `directory` with Python's `mailbox.mbox` and prints one SHA-256 per message
/// (of its bytes with CRLF folded to LF), so the test compares with the Maildir files independently of kith.
/// Prints `mbox DIGEST` for every message Python's `mailbox.mbox` reads from the export (mboxrd `>From`
/// quoting undone) and `maildir DIGEST` for every Maildir file given, both with CRLF folded to LF:
/// the comparison never goes through kith's own code.
private let pythonDigests = """
import glob, hashlib, mailbox, re, sys
def digest(data):
    return hashlib.sha256(data.replace(b"\\r\\n", b"\\n")).hexdigest()
for path in sorted(glob.glob(sys.argv[1] + "/*.mbox")):
    box = mailbox.mbox(path, create=False)
    for key in box.keys():
        print("mbox", digest(re.sub(rb"(?m)^>(>*From )", rb"\\1", box.get_bytes(key))))
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        print("maildir", digest(f.read()))
"""

/// The export holds exactly the server's messages (Junk and Trash aside), as independent tools read them.
func expectMboxMatchesMaildir(_ directory: String, _ account: TestAccount, excluding excluded: [String] = [],
                              sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let script = account.directory.appendingPathComponent("digests.py").path
    try pythonDigests.write(toFile: script, atomically: true, encoding: .utf8)
    let files = try SampleMailbox.messageFiles(in: account.server.maildir())
        .filter { file in !(["/.Junk/", "/.Trash/"] + excluded).contains { file.hasPrefix($0) } }
        .map { account.server.maildir().path + $0 }
    let result = try ChildProcess.run(["python3", script, directory] + files, timeoutSeconds: 300)
    #expect(result.status == 0, "\(String(decoding: result.errorOutput, as: UTF8.self))", sourceLocation: sourceLocation)
    var counts: [String: [String: Int]] = [:]
    for line in String(decoding: result.output, as: UTF8.self).split(separator: "\n") {
        let parts = line.split(separator: " ").map(String.init)
        counts[parts[0], default: [:]][parts[1], default: 0] += 1
    }
    #expect(!(counts["mbox"] ?? [:]).isEmpty, sourceLocation: sourceLocation)
    #expect(counts["mbox"] == counts["maildir"], "the mbox files hold exactly the server's messages", sourceLocation: sourceLocation)
}

@Suite(.serialized) struct FinalExportTests {
    @Test func mboxQuotingSurvivesPiecesSplitAnywhere() {
        let message = Array("From: a@example.org\r\n\r\nFrom here\r\n>From there\r\n>>From far\r\nFromage\r\n>Fro\r\nend".utf8)
        let expected = Array("From: a@example.org\n\n>From here\n>>From there\n>>>From far\nFromage\n>Fro\nend\n\n".utf8)
        for size in 1...message.count {
            var encoder = MboxEncoder()
            var out: [UInt8] = []
            var index = 0
            while index < message.count {
                encoder.feed(message[index..<min(message.count, index + size)], into: &out)
                index += size
            }
            encoder.finish(into: &out)
            #expect(out == expected, "pieces of \(size)")
        }
    }

    @Test func aFiftyMegabyteMessageIsExportedInPieces() throws {
        let account = try TestAccount(messages: 10, seed: 93)
        let line = String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", count: 2) + "\r\n"
        var big = "From: Big Sender <big@example.org>\r\nTo: me@acme.example\r\nSubject: attachment\r\nMessage-ID: <big@example.org>\r\n\r\n"
        big += String(repeating: line, count: 50 * 1024 * 1024 / line.utf8.count)
        big += "From the end of the attachment\r\n"
        let file = account.server.maildir().appendingPathComponent("cur/1800000000.big.kith:2,S")
        try Data(big.utf8).write(to: file)
        try account.server.fixOwnership()
        let (acme, archive, harvester) = try openHarvest(account)
        #expect(harvester.harvest(acme).error == nil)
        var exporter = FinalExporter(archive: archive, logger: quietLogger())
        exporter.pieceBytes = 1 << 20
        let directory = account.directory.appendingPathComponent("exports/big").path
        // The session refuses literals over 4 MiB, so this only succeeds if the 50 MB message came in pieces.
        let manifest = try exporter.export(acme, to: directory)
        #expect(manifest.complete, "\(manifest.summary)")
        try expectMboxMatchesMaildir(directory, account)
    }

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

        try expectMboxMatchesMaildir(directory, account)

        for folder in manifest.folders {
            #expect(try SHA256Stream.file(directory + "/" + #require(folder.file)) == folder.sha256)
            #expect(folder.verified)
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
