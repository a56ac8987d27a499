import KithArchive
import KithIMAP

/// What to do with one folder, decided from its archived cursor and what EXAMINE reported. Pure: no I/O.
public struct FolderSyncPlan: Equatable, Sendable {
    /// Start over because UIDVALIDITY changed (or the folder is new): the cursor goes to 0, archived messages stay.
    public var resetTo: UInt32?
    /// UID ranges to fetch, in order, each holding at most `chunkSize` messages. Empty: nothing new, no FETCH at all.
    public var ranges: [ClosedRange<UInt32>]
    /// The UIDs still to read span far more numbers than the folder holds messages (UIDNEXT far ahead, as on
    /// Gmail and Exchange, or a hostile server): ask which UIDs exist in `uidSpan` first, then plan with `chunks(of:)`.
    public var uidSpan: ClosedRange<UInt32>?

    public init(resetTo: UInt32? = nil, ranges: [ClosedRange<UInt32>], uidSpan: ClosedRange<UInt32>? = nil) {
        self.resetTo = resetTo
        self.ranges = ranges
        self.uidSpan = uidSpan
    }

    public static func make(folder: FolderState, server: MailboxStatus, chunkSize: UInt32) -> FolderSyncPlan {
        var plan = FolderSyncPlan(ranges: [])
        var lastUID = folder.lastUID
        if folder.uidValidity != server.uidValidity {
            plan.resetTo = server.uidValidity
            lastUID = 0
        }
        guard server.exists > 0 else { return plan }
        // Without UIDNEXT the server still bounds the answer: fetch up to the largest UID there can be.
        let highest = server.uidNext.map { $0 &- 1 } ?? UInt32.max
        guard lastUID < highest, server.uidNext != 0 else { return plan }
        let first = lastUID + 1
        guard server.uidNext != nil else {
            plan.ranges = [first...highest]
            return plan
        }
        // More chunks than the messages there are could fill: never trust UIDNEXT for the size of the work.
        let span = UInt64(highest - first) + 1
        let chunk = UInt64(max(1, chunkSize))
        if span > 2 * UInt64(server.exists) + chunk {
            plan.uidSpan = first...highest
            return plan
        }
        plan.ranges = chunks(from: first, through: highest, chunkSize: chunkSize)
        return plan
    }

    /// Consecutive ranges of at most `chunkSize` UIDs covering `first...last`.
    static func chunks(from first: UInt32, through last: UInt32, chunkSize: UInt32) -> [ClosedRange<UInt32>] {
        var ranges: [ClosedRange<UInt32>] = []
        let size = max(1, chunkSize)
        var start = first
        while true {
            let end = last - start >= size - 1 ? start + (size - 1) : last
            ranges.append(start...end)
            guard end < last else { return ranges }
            start = end + 1
        }
    }

    /// Ranges over the UIDs of `span` that exist, `chunkSize` messages each, together covering the whole
    /// span: the gaps hold no message and stay empty (new mail only ever gets UIDs at UIDNEXT or above),
    /// so the cursor reaches the span's end and the next harvest does not ask again.
    public static func chunks(of uids: [UInt32], within span: ClosedRange<UInt32>, chunkSize: UInt32) -> [ClosedRange<UInt32>] {
        let sorted = sortedUnique(uids, within: span)
        guard !sorted.isEmpty else { return [span] }
        let size = Int(max(1, chunkSize))
        var ranges: [ClosedRange<UInt32>] = []
        var lower = span.lowerBound
        for start in stride(from: 0, to: sorted.count, by: size) {
            let end = min(sorted.count, start + size)
            let upper = end == sorted.count ? span.upperBound : sorted[end - 1]
            ranges.append(lower...upper)
            lower = upper &+ 1
        }
        return ranges
    }

    /// The UIDs of `span`, ascending, each once; in place, without a set (a folder can list 570,000).
    public static func sortedUnique(_ uids: [UInt32], within span: ClosedRange<UInt32>) -> [UInt32] {
        var sorted = uids.filter { span.contains($0) }
        // Servers list UIDs ascending: sort only when they did not.
        if zip(sorted, sorted.dropFirst()).contains(where: { $0 >= $1 }) { sorted.sort() }
        var kept = 0
        for uid in sorted where kept == 0 || sorted[kept - 1] != uid {
            sorted[kept] = uid
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }
}

/// A set of UIDs kept as ascending runs of consecutive numbers: a folder's 570,000 UIDs are a few runs,
/// not 570,000 entries of a hash set.
public struct UIDRuns: Sendable, Equatable {
    public private(set) var runs: [ClosedRange<UInt32>] = []

    /// From UIDs ascending, each once (`FolderSyncPlan.sortedUnique`).
    public init(sortedUnique uids: [UInt32]) {
        for uid in uids {
            if let last = runs.last, last.upperBound != UInt32.max, last.upperBound + 1 == uid {
                runs[runs.count - 1] = last.lowerBound...uid
            } else {
                runs.append(uid...uid)
            }
        }
    }

    /// Calls `body` with each UID in `interval`, ascending.
    public func forEach(in interval: ClosedRange<UInt32>, _ body: (UInt32) -> Void) {
        // The first run that may reach into the interval, by binary search.
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].upperBound < interval.lowerBound { low = middle + 1 } else { high = middle }
        }
        for run in runs[low...] {
            guard run.lowerBound <= interval.upperBound else { return }
            let clamped = run.clamped(to: interval)
            guard !clamped.isEmpty else { continue }
            for uid in clamped { body(uid) }
        }
    }
}
