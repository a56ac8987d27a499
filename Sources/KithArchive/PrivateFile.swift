import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files and directories only their owner can read, from their first byte: created with mode 0600
/// (directories 0700) by `open(O_CREAT|O_EXCL)` and `mkdir`, never chmod-ed afterwards.
public enum PrivateFile {
    /// Why a private file could not be written; names the path.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Replaces `path` with `bytes`: written to a new 0600 temporary file beside it, synced, then renamed
    /// into place, so a reader sees the old file or the whole new one, and nobody else ever sees either.
    public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(Failure) {
        let temporary = "\(path).\(getpid()).tmp"
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure(temporary) }
        var ok = Array(bytes).withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
        ok = ok && fsync(descriptor) == 0
        let error = failure(temporary)
        close(descriptor)
        guard ok else {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure(path)
            unlink(temporary)
            throw error
        }
    }

    /// Creates `path` and any missing parents, each new one 0700.
    public static func makeDirectory(_ path: String) throws(Failure) {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o700) != 0, errno != EEXIST { throw failure(built) }
        }
    }

    /// Opens `path` for reading and writing, creating it 0600 when it does not exist yet.
    public static func openForUpdate(_ path: String) throws(Failure) -> FileHandle {
        var descriptor = open(path, O_RDWR | O_CLOEXEC)
        if descriptor < 0, errno == ENOENT {
            descriptor = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else { throw failure(path) }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    private static func failure(_ path: String) -> Failure {
        Failure(path: path, reason: String(cString: strerror(errno)))
    }
}
