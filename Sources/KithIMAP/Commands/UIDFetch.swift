import KithIMAPWire

extension IMAPSession {
    /// Fetches `items` for each UID range, keeping up to `window` commands in flight (pipelining).
    ///
    /// `onMessage` sees each FETCH reply as it arrives; `onRangeComplete` runs once the server has
    /// confirmed a range with OK, in range order, which is when a caller may commit that range.
    public func uidFetch(
        ranges: [ClosedRange<UInt32>],
        items: String,
        window: Int = 4,
        onMessage: (FetchAttributes) throws -> Void,
        onRangeComplete: (ClosedRange<UInt32>) throws -> Void
    ) throws {
        var pending: [(tag: String, range: ClosedRange<UInt32>)] = []
        var nextRange = 0
        func fill() throws(IMAPError) {
            while pending.count < max(1, window), nextRange < ranges.count {
                let range = ranges[nextRange]
                let tag = try send(.uidFetch(first: range.lowerBound, last: range.upperBound, items: items))
                pending.append((tag, range))
                nextRange += 1
            }
        }
        try fill()
        while let oldest = pending.first {
            guard let (tag, status) = try nextFetchCompletion(onMessage: onMessage) else { continue }
            guard tag == oldest.tag else {
                // A refusal may overtake the commands before it (a throttling server, a proxy): it is still a refusal.
                if status.kind != .ok, let refused = pending.first(where: { $0.tag == tag }) {
                    throw IMAPError.commandFailed(command: "UID FETCH \(refused.range.lowerBound):\(refused.range.upperBound)", status: status)
                }
                throw IMAPError.protocolViolation("completion for \(tag) before \(oldest.tag)")
            }
            guard status.kind == .ok else {
                throw IMAPError.commandFailed(command: "UID FETCH \(oldest.range.lowerBound):\(oldest.range.upperBound)", status: status)
            }
            pending.removeFirst()
            try onRangeComplete(oldest.range)
            try fill()
        }
    }

    /// Fetches `items` for the listed UIDs with one command; the replies go to `onMessage` as they arrive.
    public func uidFetch(uids: [UInt32], items: String, onMessage: (FetchAttributes) throws -> Void) throws {
        guard !uids.isEmpty else { return }
        let command = Command.uidFetchList(uids: uids, items: items)
        let tag = try send(command)
        while true {
            guard let (completed, status) = try nextFetchCompletion(onMessage: onMessage) else { continue }
            guard completed == tag else { throw IMAPError.protocolViolation("completion for unknown tag \(completed)") }
            guard status.kind == .ok else { throw IMAPError.commandFailed(command: command.name, status: status) }
            return
        }
    }

    /// Reads one response during a FETCH: replies go to `onMessage`, other untagged data is skipped,
    /// BYE ends the session; a tagged completion is returned.
    private func nextFetchCompletion(onMessage: (FetchAttributes) throws -> Void) throws -> (String, StatusResponse)? {
        switch try readResponse() {
        case .untagged(.fetch(_, let attributes)):
            try onMessage(attributes)
            return nil
        case .untagged(.status(let status)) where status.kind == .bye:
            throw IMAPError.bye(text: status.text)
        case .untagged:
            return nil
        case .tagged(let tag, let status):
            return (tag, status)
        case .continuation:
            throw IMAPError.protocolViolation("unexpected continuation request during FETCH")
        }
    }
}

extension IMAPSession {
    /// The UIDs that exist within `span` (`UID FETCH first:last (UID)`): one small reply per message, so a
    /// folder with sparse UIDs costs one command however far apart they lie. UID 0 is not a UID and is ignored.
    public func existingUIDs(in span: ClosedRange<UInt32>) throws -> [UInt32] {
        var uids: [UInt32] = []
        try uidFetch(ranges: [span], items: "UID", window: 1, onMessage: { attributes in
            guard let uid = attributes.uid, uid > 0, span.contains(uid) else { return }
            guard uids.count < IMAPSession.maximumUntaggedResponses else {
                throw IMAPError.protocolViolation("UID FETCH \(span.lowerBound):\(span.upperBound) (UID): more than \(uids.count) UIDs")
            }
            uids.append(uid)
        }, onRangeComplete: { _ in })
        return uids
    }
}
