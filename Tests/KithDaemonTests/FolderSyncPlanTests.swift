import Testing
@testable import KithArchive
@testable import KithIMAP
@testable import KithHarvest

/// The folder plan without sockets: what a harvest asks for, whatever UIDNEXT claims.
@Suite struct FolderSyncPlanTests {
    private func folder(lastUID: UInt32, validity: UInt32? = 7) -> FolderState {
        FolderState(id: 1, name: Array("INBOX".utf8), displayName: "INBOX", uidValidity: validity, lastUID: lastUID, uidNext: nil, serverCount: nil)
    }

    @Test func denseFoldersAreChunkedFromTheCursor() {
        let plan = FolderSyncPlan.make(folder: folder(lastUID: 100), server: MailboxStatus(uidValidity: 7, uidNext: 2601, exists: 2600), chunkSize: 1000)
        #expect(plan.ranges == [101...1100, 1101...2100, 2101...2600])
        #expect(plan.uidSpan == nil && plan.resetTo == nil)
    }

    @Test func uidNextAtTheTopOfTheRangeAsksWhichUIDsExist() {
        let plan = FolderSyncPlan.make(folder: folder(lastUID: 0, validity: nil), server: MailboxStatus(uidValidity: 7, uidNext: 4_294_967_295, exists: 5), chunkSize: 1000)
        #expect(plan.ranges.isEmpty, "4.3 million commands are never planned")
        #expect(plan.uidSpan == 1...4_294_967_294)
        let ranges = FolderSyncPlan.chunks(of: [9, 0, 4_294_967_294, 70_000, 9], within: 1...4_294_967_294, chunkSize: 2)
        #expect(ranges == [1...70_000, 70_001...4_294_967_294], "two chunks of two messages cover the whole span, UID 0 ignored")
    }

    @Test func sparseGmailUIDsCostOneListAndAChunkPerThousand() {
        let plan = FolderSyncPlan.make(folder: folder(lastUID: 0, validity: nil), server: MailboxStatus(uidValidity: 7, uidNext: 10_000_000, exists: 500), chunkSize: 1000)
        let span = try! #require(plan.uidSpan)
        let uids = (0..<500).map { UInt32(3 + $0 * 19_997) }
        let ranges = FolderSyncPlan.chunks(of: uids, within: span, chunkSize: 1000)
        #expect(ranges == [1...9_999_999])
        #expect(FolderSyncPlan.chunks(of: [], within: span, chunkSize: 1000) == [span], "an empty span still moves the cursor")
    }

    @Test func listedUIDsAreKeptAsRuns() {
        let sorted = FolderSyncPlan.sortedUnique([9, 3, 4, 5, 4, 0, 4_294_967_295, 12, 11], within: 1...4_294_967_295)
        #expect(sorted == [3, 4, 5, 9, 11, 12, 4_294_967_295])
        let runs = UIDRuns(sortedUnique: sorted)
        #expect(runs.runs == [3...5, 9...9, 11...12, 4_294_967_295...4_294_967_295])
        var seen: [UInt32] = []
        runs.forEach(in: 4...11) { seen.append($0) }
        #expect(seen == [4, 5, 9, 11])
        seen = []
        runs.forEach(in: 13...4_294_967_295) { seen.append($0) }
        #expect(seen == [4_294_967_295])
        let dense = UIDRuns(sortedUnique: Array(1...570_000))
        #expect(dense.runs == [1...570_000], "a dense folder of 570,000 UIDs is one run")
    }
}
