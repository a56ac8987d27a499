import Foundation
import KithConfig

/// Outlook `.pst` and `.ost` files, converted by `readpst` (Debian's pst-utils) into a temporary tree of
/// mbox files, one per folder, which the import then reads like any other.
enum PSTConverter {
    struct Converted {
        var directory: String
        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func isOutlookFile(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".pst") || lower.hasSuffix(".ost")
    }

    static func convert(_ path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Converted {
        guard let readpst = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map({ "\($0)/readpst" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ImportError(path: path, reason: "reading Outlook files needs readpst: install Debian's pst-utils (apt install pst-utils)")
        }
        let directory = NSTemporaryDirectory() + "kith-pst-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // -r: one directory per folder; -q: quiet; -j 0: one process; -D: include deleted items? no; -b: no RTF bodies.
        let result = try ChildProcess.run([readpst, "-r", "-q", "-j", "0", "-b", "-o", directory, path], environment: environment, timeoutSeconds: 3600)
        guard result.status == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            let detail = String(decoding: result.errorOutput.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ImportError(path: path, reason: "readpst failed with status \(result.status)\(detail.isEmpty ? "" : ": \(detail)")")
        }
        return Converted(directory: directory)
    }
}
