import Foundation
import KithIMAP
import KithIMAPWire

/// A server's "wait, then continue": how long, and the server's words.
public struct Throttle: Equatable, Sendable {
    /// The wait the server suggested, or `defaultSeconds` when it named none.
    public var seconds: Double
    public var serverText: String

    /// When the server asks for a pause without saying how long.
    public static let defaultSeconds = 60.0

    /// Recognises throttling in an error from the session:
    /// - Exchange Online's `NO`/`BAD` "Request is throttled. Suggested Backoff Time: N milliseconds" (and
    ///   the `BYE` that often follows);
    /// - the RFC 5530 codes `[UNAVAILABLE]`, `[LIMIT]` and `[INUSE]`;
    /// - Gmail's `[ALERT] Too many simultaneous connections` and `[THROTTLED]`.
    public static func recognise(_ error: Error) -> Throttle? {
        switch error as? IMAPError {
        case .commandFailed(_, let status)?:
            return recognise(code: status.code, text: status.text, summary: status.summary)
        case .bye(let text)?:
            return recognise(code: nil, text: text, summary: "BYE \(text)")
        default:
            return nil
        }
    }

    static func recognise(code: ResponseCode?, text: String, summary: String) -> Throttle? {
        let lower = text.lowercased()
        if lower.contains("request is throttled") || lower.contains("suggested backoff time") {
            return Throttle(seconds: suggestedBackoff(in: text) ?? defaultSeconds, serverText: summary)
        }
        var codeName: String?
        if case .other(let name, _)? = code { codeName = name.uppercased() }
        if let codeName, ["UNAVAILABLE", "LIMIT", "INUSE", "THROTTLED"].contains(codeName) {
            return Throttle(seconds: defaultSeconds, serverText: summary)
        }
        if lower.contains("too many simultaneous connections") || lower.contains("[throttled]") {
            return Throttle(seconds: defaultSeconds, serverText: summary)
        }
        return nil
    }

    /// Seconds from "Suggested Backoff Time: N milliseconds"; nil when there is no sensible number.
    static func suggestedBackoff(in text: String) -> Double? {
        guard let range = text.range(of: "backoff time:", options: .caseInsensitive) else { return nil }
        let digits = text[range.upperBound...].drop { $0 == " " }.prefix { $0.isASCII && $0.isNumber }
        guard let milliseconds = Double(digits.prefix(9)), milliseconds >= 0 else { return nil }
        return milliseconds / 1000
    }
}

/// The server asked for a pause longer than a harvest waits, or throttled once too often.
struct HarvestThrottled: Error, CustomStringConvertible {
    var until: Date
    var throttle: Throttle

    var description: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm"
        return "throttled until \(formatter.string(from: until)) (the server said: \(throttle.serverText))"
    }
}
