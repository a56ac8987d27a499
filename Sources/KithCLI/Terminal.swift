import Foundation

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
}
