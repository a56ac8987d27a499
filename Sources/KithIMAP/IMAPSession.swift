import KithIMAPWire

/// An authenticated, read-only IMAP session on which kith pipelines its own tagged commands.
///
/// Blocking: run it on a thread of its own, never on the cooperative pool. Not thread-safe.
public final class IMAPSession {
    /// Untagged responses one command may bring that kith keeps (LIST entries, say) before it gives up.
    public static let maximumKeptResponses = 200_000
    /// Untagged responses one command may bring in all (`* 1 RECENT` floods included) before it gives up.
    public static let maximumUntaggedResponses = 1_000_000

    private let transport: CurlTransport
    private var parser: ResponseParser
    private var tagNumber = 0
    private let commandTimeoutSeconds: Int
    /// When the answer now being read must be complete; set at the first read after a completion.
    private var deadline: ContinuousClock.Instant?
    /// Responses read while waiting for a continuation request, handed out before reading more.
    private var early: [Response] = []
    /// The server's capabilities, uppercased (`SPECIAL-USE`, `LITERAL+`...).
    public private(set) var capabilities: Set<String> = []

    /// Connects, negotiates TLS and logs in through libcurl, then asks for the capabilities.
    public init(_ settings: ConnectionSettings) throws(IMAPError) {
        transport = try CurlTransport(settings)
        parser = ResponseParser(options: settings.parserOptions)
        commandTimeoutSeconds = max(1, settings.commandTimeoutSeconds)
        for response in try run(.capability) {
            if case .capability(let list) = response { capabilities = Set(list.map { $0.uppercased() }) }
        }
    }

    /// Sends `command` without waiting for its completion; returns its tag.
    ///
    /// A mailbox name sent as a synchronising literal (no LITERAL+) waits for the server's `+` before its
    /// bytes; when the server refuses instead, the rest is never sent and the refusal is read as the completion.
    @discardableResult
    func send(_ command: Command) throws(IMAPError) -> String {
        tagNumber += 1
        let tag = "k\(tagNumber)"
        let segments = command.encodedSegments(tag: tag, nonSynchronizingLimit: Command.nonSynchronizingLimit(capabilities: capabilities))
        for (index, segment) in segments.enumerated() {
            try transport.send(segment)
            guard index < segments.count - 1 else { break }
            guard try awaitContinuation(tag: tag) else { break }
        }
        return tag
    }

    /// Reads until the server answers a synchronising literal: true on `+`, false when it completed the
    /// command instead (kept for the caller to read).
    private func awaitContinuation(tag: String) throws(IMAPError) -> Bool {
        while true {
            let response = try readFromServer()
            switch response {
            case .continuation:
                return true
            case .tagged(let completed, _) where completed == tag:
                early.append(response)
                return false
            default:
                guard early.count < Self.maximumKeptResponses else {
                    throw .protocolViolation("more than \(Self.maximumKeptResponses) responses before a continuation request")
                }
                early.append(response)
            }
        }
    }

    /// The next response from the server, reading from the connection as needed.
    func readResponse() throws(IMAPError) -> Response {
        if !early.isEmpty { return early.removeFirst() }
        return try readFromServer()
    }

    private func readFromServer() throws(IMAPError) -> Response {
        if deadline == nil { deadline = ContinuousClock.now.advanced(by: .seconds(commandTimeoutSeconds)) }
        while true {
            do {
                if let response = try parser.next() {
                    if case .tagged = response { deadline = nil }
                    return response
                }
            } catch {
                throw .wire(error)
            }
            try transport.receive(deadline: deadline, deadlineSeconds: commandTimeoutSeconds) { parser.append($0) }
        }
    }

    /// Sends one command and waits for its completion; returns the untagged responses it produced that
    /// a caller may use. Unsolicited noise (`RECENT`, `EXPUNGE`, `FLAGS`) is counted, not kept.
    func run(_ command: Command) throws(IMAPError) -> [UntaggedResponse] {
        let tag = try send(command)
        var untagged: [UntaggedResponse] = []
        var seen = 0
        while true {
            let response = try readResponse()
            if case .untagged = response {
                seen += 1
                guard seen <= Self.maximumUntaggedResponses, untagged.count < Self.maximumKeptResponses else {
                    throw .protocolViolation("\(command.name): more than \(seen - 1) untagged responses; the server is flooding the session")
                }
            }
            switch response {
            case .untagged(.status(let status)) where status.kind == .bye:
                if command != .logout { throw .bye(text: status.text) }
            case .untagged(.recent), .untagged(.expunge), .untagged(.flags):
                continue
            case .untagged(let response):
                untagged.append(response)
            case .tagged(let responseTag, let status) where responseTag == tag:
                guard status.kind == .ok else { throw .commandFailed(command: command.name, status: status) }
                return untagged
            case .tagged(let other, _):
                throw .protocolViolation("completion for unknown tag \(other)")
            case .continuation:
                throw .protocolViolation("unexpected continuation request")
            }
        }
    }
}

extension IMAPSession {
    /// Sends every command at once and reads until all have completed: one round trip for all. Their
    /// untagged data comes back together (each STATUS and LIST reply names its mailbox); each command's
    /// completion comes back in order, a refusal included. BYE ends the session.
    public func pipeline(_ commands: [Command]) throws(IMAPError) -> (untagged: [UntaggedResponse], completions: [StatusResponse]) {
        var tags: [String] = []
        for command in commands { tags.append(try send(command)) }
        var completions: [String: StatusResponse] = [:]
        var untagged: [UntaggedResponse] = []
        var seen = 0
        while completions.count < tags.count {
            switch try readResponse() {
            case .untagged(.status(let status)) where status.kind == .bye:
                throw .bye(text: status.text)
            case .untagged(.recent), .untagged(.expunge), .untagged(.flags):
                continue
            case .untagged(let response):
                seen += 1
                guard seen <= Self.maximumKeptResponses else {
                    throw .protocolViolation("more than \(Self.maximumKeptResponses) untagged responses to \(commands.count) pipelined commands")
                }
                untagged.append(response)
            case .tagged(let tag, let status):
                guard tags.contains(tag) else { throw .protocolViolation("completion for unknown tag \(tag)") }
                completions[tag] = status
            case .continuation:
                throw .protocolViolation("unexpected continuation request")
            }
        }
        return (untagged, tags.map { completions[$0]! })
    }
}

extension Command {
    /// The command as a person would name it in an error message (mailbox names included, no secrets exist here).
    var name: String {
        switch self {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .list: "LIST"
        case .status(let mailbox): "STATUS \(ModifiedUTF7.decode(mailbox))"
        case .examine(let mailbox): "EXAMINE \(ModifiedUTF7.decode(mailbox))"
        case .uidFetch(let first, let last, _): "UID FETCH \(first):\(last)"
        case .uidFetchList(let uids, _): "UID FETCH \(uids.first.map(String.init) ?? "")\(uids.count > 1 ? ",..." : "")"
        case .logout: "LOGOUT"
        }
    }
}
