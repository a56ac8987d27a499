import Foundation
import Testing
import KithArchive
import KithConfig
import KithTestSupport

@Suite(.serialized) struct CrashTests {
    /// `kill -9` at many moments of a harvest, then one clean harvest: the archive equals what a single
    /// uninterrupted harvest gives, and readers keep working while a harvest writes.
    @Test func killedHarvestsThenOneCleanHarvestEqualTheModel() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kith").path
        try #require(FileManager.default.isExecutableFile(atPath: binary))
        let account = try TestAccount(messages: 2500, seed: 61)
        let delays = ["0.05", "0.12", "0.2", "0.3", "0.08", "0.45", "0.15", "0.6", "0.25", "0.35"]
        var readerRuns = 0
        var partialCounts: [Int] = []
        let distinct = Set(account.mailbox.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) }.map(\.logicalID)).count
        for (round, delay) in delays.enumerated() {
            let reader = round == 0 ? "" : "\(binary) export --output \(account.directory.path)/during.json; echo reader=$?;"
            let script = "\(binary) harvest --chunk-size 25 >/dev/null 2>&1 & pid=$!; sleep \(delay); \(reader) kill -9 $pid; wait $pid; echo killed=$?"
            let result = try ChildProcess.run(["/bin/sh", "-c", script], environment: ["KITH_CONFIG": account.configPath, "PATH": "/usr/bin:/bin"], timeoutSeconds: 120)
            let output = String(decoding: result.output, as: UTF8.self)
            if output.contains("reader=") {
                #expect(output.contains("reader=0"), "a reader failed while a harvest was writing: \(output)")
                readerRuns += 1
            }
            if let archive = try? Archive(path: account.archivePath, create: false) { partialCounts.append(try archive.messageCount()) }
        }
        #expect(readerRuns > 0)
        #expect(partialCounts.contains { $0 > 0 && $0 < distinct }, "no kill landed in the middle of a harvest: \(partialCounts)")
        let clean = try ChildProcess.run([binary, "harvest"], environment: ["KITH_CONFIG": account.configPath], timeoutSeconds: 300)
        #expect(clean.status == 0, "\(String(decoding: clean.output + clean.errorOutput, as: UTF8.self))")
        let archive = try Archive(path: account.archivePath, create: false)
        try expectArchiveMatchesModel(archive, account.mailbox)
        #expect(try archive.messageCount() == distinct)
    }
}
