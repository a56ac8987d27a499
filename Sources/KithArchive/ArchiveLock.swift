import Foundation

/// An exclusive lock next to the archive (`<archive>.lock`) so that only one harvest writes at a time.
/// Readers take no lock: SQLite's WAL lets them read while a harvest writes.
public final class ArchiveLock {
    private let descriptor: Int32

    /// Takes the lock or throws at once, naming the holder's pid when known.
    public init(archivePath: String) throws {
        let path = archivePath + ".lock"
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ArchiveError(path: archivePath, message: "cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(descriptor)
            throw ArchiveError(path: archivePath, message: "another kith harvest (pid \(holder)) is writing this archive; try again when it is done")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    /// Whether some harvest holds the lock now (this process included, through another descriptor).
    public static func isHeld(archivePath: String) -> Bool {
        let descriptor = open(archivePath + ".lock", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
