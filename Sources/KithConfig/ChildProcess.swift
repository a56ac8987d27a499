import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with posix_spawn, no standard input, captured output and a deadline.
///
/// Used for `password_command` and by the test machinery; Foundation's `Process` is avoided because
/// its `waitUntilExit` can miss the exit of a child that daemonises.
public enum ChildProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var output: [UInt8]
        public var errorOutput: [UInt8]
    }

    public enum Failure: Error, CustomStringConvertible {
        case spawn(String, Int32)
        case timedOut(String, Int)

        public var description: String {
            switch self {
            case .spawn(let program, let code): "could not start \(program): \(String(cString: strerror(code)))"
            case .timedOut(let program, let seconds): "\(program) did not finish within \(seconds) s and was killed"
            }
        }
    }

    /// Runs `arguments[0]` (searched in PATH) and waits at most `timeoutSeconds` for it and its output.
    public static func run(_ arguments: [String], environment: [String: String]? = nil, timeoutSeconds: Int = 60) throws -> Result {
        precondition(!arguments.isEmpty)
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw Failure.spawn(arguments[0], errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, outPipe[0])
        posix_spawn_file_actions_addclose(&actions, errPipe[0])

        var attributes = posix_spawnattr_t()
        defer { posix_spawnattr_destroy(&attributes) }
        prepareSignals(&attributes)

        let environment = environment ?? ProcessInfo.processInfo.environment
        let env = environment.map { "\($0.key)=\($0.value)" }
        let program = resolve(arguments[0], path: environment["PATH"])
        var pid: pid_t = 0
        let code = withCStrings(arguments) { argv in
            withCStrings(env) { envp in posix_spawnp(&pid, program, &actions, &attributes, argv, envp) }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard code == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw Failure.spawn(arguments[0], code)
        }

        var output: [UInt8] = []
        var errorOutput: [UInt8] = []
        var open = [outPipe[0], errPipe[0]]
        let deadline = Date().addingTimeInterval(TimeInterval(timeoutSeconds))
        var buffer = [UInt8](repeating: 0, count: 65536)
        var status: Int32 = 0
        var exited = false
        // A child that daemonises leaves its output open in the daemon: stop reading once it has exited and gone quiet.
        while !open.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                open.forEach { close($0) }
                throw Failure.timedOut(arguments[0], timeoutSeconds)
            }
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(min(remaining, 0.1) * 1000))
            if ready <= 0 {
                if exited { break }
                exited = waitpid(pid, &status, WNOHANG) == pid
                continue
            }
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = read(descriptor.fd, &buffer, buffer.count)
                if count > 0 {
                    if descriptor.fd == outPipe[0] { output += buffer[0..<count] } else { errorOutput += buffer[0..<count] }
                } else {
                    close(descriptor.fd)
                    open.removeAll { $0 == descriptor.fd }
                }
            }
        }
        open.forEach { close($0) }
        if !exited { while waitpid(pid, &status, 0) == -1, errno == EINTR {} }
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(status: exitCode, output: output, errorOutput: errorOutput)
    }

    /// A bare program name looked up in the child's PATH (posix_spawnp would use the parent's).
    static func resolve(_ program: String, path: String?) -> String {
        guard !program.contains("/"), let path else { return program }
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return program
    }

    /// Starts `arguments` in the background with stdin from /dev/null and stdout and stderr appended to `outputFile`.
    public static func startInBackground(_ arguments: [String], environment: [String: String], outputFile: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        defer { posix_spawnattr_destroy(&attributes) }
        prepareSignals(&attributes)
        var pid: pid_t = 0
        let env = environment.map { "\($0.key)=\($0.value)" }
        let code = withCStrings(arguments) { argv in
            withCStrings(env) { envp in posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp) }
        }
        guard code == 0 else { throw Failure.spawn(arguments[0], code) }
        return pid
    }

    /// The calling thread may block signals (Dispatch threads do); a child must start with none blocked
    /// and default handlers, or it could never be stopped with SIGTERM.
    private static func prepareSignals(_ attributes: inout posix_spawnattr_t) {
        posix_spawnattr_init(&attributes)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        sigdelset(&defaultSignals, SIGKILL)
        sigdelset(&defaultSignals, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
