import KithArchive
import KithIMAP

/// What to do with one folder, decided from its archived cursor and what EXAMINE reported. Pure: no I/O.
public struct FolderSyncPlan: Equatable, Sendable {
    /// Start over because UIDVALIDITY changed (or the folder is new): the cursor goes to 0, archived messages stay.
    public var resetTo: UInt32?
    /// UID ranges to fetch, in order, each at most `chunkSize` UIDs wide. Empty: nothing new, no FETCH at all.
    public var ranges: [ClosedRange<UInt32>]

    public init(resetTo: UInt32? = nil, ranges: [ClosedRange<UInt32>]) {
        self.resetTo = resetTo
        self.ranges = ranges
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
        var first = lastUID + 1
        guard server.uidNext != nil else {
            plan.ranges = [first...highest]
            return plan
        }
        while first <= highest {
            let last = highest - first >= chunkSize - 1 ? first + chunkSize - 1 : highest
            plan.ranges.append(first...last)
            first = last + 1
        }
        return plan
    }
}
