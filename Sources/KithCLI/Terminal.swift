import Foundation
import KithMail

/// Colour only on a terminal, and never when `NO_COLOR` is set (no-color.org).
enum Terminal {
    static var wantsColour: Bool {
        isatty(STDOUT_FILENO) != 0 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }

    /// Green for ok, yellow for closing, red for failing or closed.
    static func paint(_ state: String) -> String {
        let code = state.hasPrefix("ok") ? "32" : state.hasPrefix("closing") ? "33" : "31"
        return "\u{1B}[\(code)m\(state)\u{1B}[0m"
    }

    /// A progress line on standard error: only on a terminal, never under systemd.
    static var showsProgress: Bool {
        isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["JOURNAL_STREAM"] == nil
    }

    /// Rewrites the progress line in place; nil clears it.
    static func progress(_ line: String?) {
        guard showsProgress else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + SafeText.line(line ?? "")).utf8))
    }
}
