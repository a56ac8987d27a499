import KithArchive
import KithConfig
import KithHarvest

/// What the approach of `closes_on` calls for today. Pure: today's date and what was already done go in.
public enum DeprovisionCountdown {
    public enum Action: Equatable, Sendable {
        /// Warn once for `threshold` (the most urgent one due); `covering` lists every threshold this message settles.
        case warn(threshold: Int, daysLeft: Int, covering: [Int])
        case finalExport(daysLeft: Int)
        case close
        /// Every login has failed for a day or more although the account used to work: it may be closed early.
        case earlyCutoff(failingHours: Int)
        /// The identity provider says the user is disabled or deleted: the early cut-off notice goes out at once.
        case accountDisabled
        /// The tokens were refused: remind the user to run `kith login`, at most once a day.
        case signInNeeded
    }

    public static let warningEvent = "warning"
    public static let exportEvent = "final-export"
    public static let closedEvent = "closed"
    public static let cutoffEvent = "early-cutoff"
    /// Recorded with today's day number as its threshold, so the reminder goes out once a day.
    public static let signInEvent = "sign-in-needed"

    /// - Parameters:
    ///   - today: days since 1970-01-01 (UTC).
    ///   - failingHours: hours since every harvest began to fail, nil when the last one succeeded.
    ///   - failure: what the identity provider said about the failing harvests, if it spoke.
    public static func actions(today: Int, plan: Deprovisioning?, recorded: Set<AccountEvent>,
                               failingHours: Int? = nil, everSucceeded: Bool = false, cutoffHours: Int = 24,
                               failure: HarvestError.Cause? = nil) -> [Action] {
        var actions: [Action] = []
        let cutoffSent = recorded.contains(AccountEvent(event: cutoffEvent))
        if failingHours != nil, failure == .accountDisabled, !cutoffSent {
            actions.append(.accountDisabled)
        } else if let failingHours, failingHours >= cutoffHours, everSucceeded, !cutoffSent {
            actions.append(.earlyCutoff(failingHours: failingHours))
        }
        if failingHours != nil, failure == .signInNeeded, !recorded.contains(AccountEvent(event: signInEvent, threshold: today)) {
            actions.append(.signInNeeded)
        }
        guard let plan else { return actions }
        let daysLeft = plan.closesOnDay - today
        if daysLeft < 0 {
            if !recorded.contains(AccountEvent(event: closedEvent)) { actions.append(.close) }
            return actions
        }
        let due = plan.warnDays.filter { daysLeft <= $0 && !recorded.contains(AccountEvent(event: warningEvent, threshold: $0)) }
        if let mostUrgent = due.min() {
            actions.append(.warn(threshold: mostUrgent, daysLeft: daysLeft, covering: due.sorted(by: >)))
        }
        if daysLeft <= plan.finalExportDays, !recorded.contains(AccountEvent(event: exportEvent)) {
            actions.append(.finalExport(daysLeft: daysLeft))
        }
        return actions
    }
}
