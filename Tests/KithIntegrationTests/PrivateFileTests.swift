import Foundation
import Testing
import KithArchive
import KithTestSupport

@Suite(.serialized) struct PrivateFileTests {
    /// Watches the export directory while `kith final-export`, `export` and `report` write into it, and
    /// stats every file seen: none may ever be readable by group or others, not even for a moment.
    @Test func filesArePrivateWhileTheyAreWritten() throws {
        let account = try TestAccount(messages: 1500, seed: 96)
        let (acme, _, harvester) = try openHarvest(account)
        #expect(harvester.harvest(acme).error == nil)
        let directory = account.directory.appendingPathComponent("watched")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        var environment = ProcessInfo.processInfo.environment
        environment["KITH_CONFIG"] = account.configPath
        let runs = [
            ["final-export", "--account", "acme", "--output", directory.appendingPathComponent("export").path],
            ["export", "--format", "csv", "--output", directory.appendingPathComponent("contacts.csv").path],
            ["report", "--output", directory.appendingPathComponent("report.html").path],
        ]
        var seen: [String: mode_t] = [:]
        for arguments in runs {
            // umask 022, as a login shell has it: kith must not rely on the caller's.
            let process = try BackgroundProcess(["/bin/sh", "-c", "umask 022; exec \"$0\" \"$@\"", kithBinary] + arguments,
                                                environment: environment, logFile: account.directory.appendingPathComponent("run.log").path)
            var status: Int32?
            repeat {
                for path in walk(directory.path) {
                    var info = stat()
                    if lstat(path, &info) == 0 { seen[path] = (seen[path] ?? 0) | (info.st_mode & 0o777) }
                }
                status = process.waitForExit(timeout: 0.001)
            } while status == nil
            #expect(status == 0 || (arguments[0] == "final-export" && status == 3), "\(arguments): \(process.output)")
        }
        #expect(seen.count >= 8, "the watch saw the files being written: \(seen.keys.sorted())")
        #expect(seen.keys.contains { $0.hasSuffix(".mbox") })
        for (path, mode) in seen where path != directory.path {
            let allowed: mode_t = path.hasSuffix("/export") ? 0o700 : 0o600
            #expect(mode & 0o077 == 0 && mode & 0o777 == allowed, "\(path) was \(String(mode, radix: 8)) at some point")
        }
    }

    private func walk(_ root: String) -> [String] {
        var paths: [String] = []
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return paths }
        for name in names {
            let path = root + "/" + name
            paths.append(path)
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { paths += walk(path) }
        }
        return paths
    }
}
