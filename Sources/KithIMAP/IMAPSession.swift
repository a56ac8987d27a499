import KithIMAPWire

/// An authenticated, read-only IMAP session on which kith pipelines its own tagged commands.
///
/// Blocking: run it on a thread of its own, never on the cooperative pool. Not thread-safe.
public final class IMAPSession {
    private let transport: CurlTransport
    private var parser: ResponseParser
    private var tagNumber = 0
    /// The server's capabilities, uppercased (`SPECIAL-USE`, `LITERAL+`...).
    public private(set) var capabilities: Set<String> = []

    /// Connects, negotiates TLS and logs in through libcurl, then asks for the capabilities.
    public init(_ settings: ConnectionSettings) throws(IMAPError) {
        transport = try CurlTransport(settings)
        parser = ResponseParser(options: settings.parserOptions)
        for response in try run(.capability) {
            if case .capability(let list) = response { capabilities = Set(list.map { $0.uppercased() }) }
        }
    }

    /// Sends `command` without waiting for its completion; returns its tag.
    @discardableResult
    func send(_ command: Command) throws(IMAPError) -> String {
        tagNumber += 1
        let tag = "k\(tagNumber)"
        try transport.send(command.encoded(tag: tag))
        return tag
    }

    /// The next response from the server, reading from the connection as needed.
    func readResponse() throws(IMAPError) -> Response {
        while true {
            do {
                if let response = try parser.next() { return response }
            } catch {
                throw .wire(error)
            }
            try transport.receive { parser.append($0) }
        }
    }

    /// Sends one command and waits for its completion; returns the untagged responses it produced.
    func run(_ command: Command) throws(IMAPError) -> [UntaggedResponse] {
        let tag = try send(command)
        var untagged: [UntaggedResponse] = []
        while true {
            switch try readResponse() {
            case .untagged(.status(let status)) where status.kind == .bye:
                if command != .logout { throw .bye(text: status.text) }
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

extension Command {
    /// The command as a person would name it in an error message (mailbox names included, no secrets exist here).
    var name: String {
        switch self {
        case .capability: "CAPABILITY"
        case .noop: "NOOP"
        case .list: "LIST"
        case .examine(let mailbox): "EXAMINE \(ModifiedUTF7.decode(mailbox))"
        case .uidFetch(let first, let last, _): "UID FETCH \(first):\(last)"
        case .uidFetchList(let uids, _): "UID FETCH \(uids.first.map(String.init) ?? "")\(uids.count > 1 ? ",..." : "")"
        case .logout: "LOGOUT"
        }
    }
}
