/// Durations written as `90s`, `30m`, `6h` or `2d` (a whole number and one unit).
public enum DurationText {
    /// Seconds, or nil when `text` is not of that form or not positive.
    public static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let unit = trimmed.last, let value = Int(trimmed.dropLast()), value > 0 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        default: return nil
        }
    }
}

import Foundation
