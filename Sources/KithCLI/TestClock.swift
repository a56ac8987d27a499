import Foundation

/// The date deprovisioning decisions use: now, or `KITH_NOW` (`YYYY-MM-DD` or ISO 8601) when tests set it.
enum TestClock {
    static let now: @Sendable () -> Date = {
        guard let text = ProcessInfo.processInfo.environment["KITH_NOW"], !text.isEmpty else { return Date() }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text) ?? Date()
    }

    /// `now()` in Unix seconds.
    static func nowSeconds() -> Int64 { Int64(now().timeIntervalSince1970) }
}
