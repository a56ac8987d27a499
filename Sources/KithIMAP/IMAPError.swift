import KithIMAPWire

/// What went wrong talking to an IMAP server, with how soon a retry could help.
public enum IMAPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A libcurl failure (connect, TLS, login): its CURLcode and `CURLOPT_ERRORBUFFER` text.
    case curl(code: Int, message: String)
    /// The server answered NO or BAD to a command.
    case commandFailed(command: String, status: StatusResponse)
    /// The server closed the session with BYE.
    case bye(text: String)
    /// The server sent bytes that break the grammar or a limit.
    case wire(WireError)
    /// No byte arrived within the read timeout.
    case timeout(seconds: Int)
    /// A command's answer did not complete within the whole-command deadline (bytes trickling in slowly).
    case deadlineExceeded(seconds: Int)
    /// The connection ended while a response was owed.
    case connectionClosed
    /// The server's answer made no sense for the command (a missing UIDVALIDITY, say).
    case protocolViolation(String)

    /// How a scheduler should treat the failure (mbsync's FAIL_TEMP / FAIL_WAIT / FAIL_FINAL).
    public enum RetryClass: Sendable { case now, later, never }

    public var retryClass: RetryClass {
        switch self {
        case .timeout, .deadlineExceeded, .connectionClosed, .bye: .now
        case .wire, .protocolViolation, .commandFailed: .later
        case .curl(let code, _):
            // 67 login denied, 60/58/35/77 certificate and TLS problems, 64 STARTTLS refused, 1/3 bad URL:
            // a retry will not help until someone changes something.
            [1, 3, 35, 58, 60, 64, 67, 77].contains(code) ? .never : .later
        }
    }

    public var description: String {
        switch self {
        case .curl(_, let message): message
        case .commandFailed(let command, let status):
            "\(command) failed: \(status.kind.rawValue) \(status.text)"
        case .bye(let text): "server closed the session: \(text)"
        case .wire(let error): error.description
        case .timeout(let seconds): "no answer from the server within \(seconds) s"
        case .deadlineExceeded(let seconds): "the server's answer did not complete within \(seconds) s"
        case .connectionClosed: "the server closed the connection"
        case .protocolViolation(let what): what
        }
    }
}
