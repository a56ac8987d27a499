/// When an account is harvested next: every `interval` with jitter after success, with exponential
/// backoff (capped) after failures, never retried while a failure cannot heal by itself. Pure: no clock of its own.
public struct HarvestSchedule: Sendable, Equatable {
    public var intervalSeconds: Int
    /// The share of the interval by which a run may be moved, either way, so accounts do not fire together.
    public var jitterFraction: Double = 0.1
    public var firstRetrySeconds = 60
    public var maximumRetrySeconds = 6 * 3600
    /// Consecutive failures so far.
    public private(set) var failures = 0

    public init(intervalSeconds: Int) {
        self.intervalSeconds = intervalSeconds
    }

    /// Records a success and returns the delay until the next run; `random` in 0...1 picks the jitter.
    public mutating func succeeded(random: Double) -> Int {
        failures = 0
        let jitter = Double(intervalSeconds) * jitterFraction * (random * 2 - 1)
        return max(1, intervalSeconds + Int(jitter))
    }

    /// Records a failure and returns the delay until the retry: 1, 2, 4... times the first retry, capped,
    /// and never longer than the regular interval.
    public mutating func failed() -> Int {
        failures += 1
        let exponent = min(failures - 1, 20)
        let delay = firstRetrySeconds * (1 << exponent)
        return min(delay, maximumRetrySeconds, max(intervalSeconds, firstRetrySeconds))
    }
}
