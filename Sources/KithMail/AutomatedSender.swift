/// Rules that tell machines from people by their headers and addresses.
public enum AutomatedSender {
    private static let noReplyLocalParts: Set<String> = [
        "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
        "mailer-daemon", "postmaster", "notification", "notifications", "bounce", "bounces",
    ]

    /// Each name followed by a separator: "noreply-42", "bounces_x", "mailer-daemon.host".
    private static let noReplyPrefixes = noReplyLocalParts.flatMap { name in ["-", "_", "."].map { name + $0 } }

    /// A local part such as `noreply`, `no-reply+abc`, `mailer-daemon` or `bounces-123`.
    public static func hasNoReplyLocalPart(_ email: String) -> Bool {
        // Every name above starts with b, d, m, n or p: most addresses are ruled out by their first byte.
        guard let first = email.utf8.first.map({ $0 | 0x20 }), first == UInt8(ascii: "b") || first == UInt8(ascii: "d")
                || first == UInt8(ascii: "m") || first == UInt8(ascii: "n") || first == UInt8(ascii: "p") else { return false }
        guard let at = email.lastIndex(of: "@") else { return false }
        let local = email[..<at].lowercased()
        if noReplyLocalParts.contains(local) { return true }
        // Sub-addressing and VERP-style suffixes: "bounces+1234", "noreply-42".
        let stem = local.split(whereSeparator: { $0 == "+" || $0 == "=" }).first.map(String.init) ?? local
        if noReplyLocalParts.contains(stem) { return true }
        return noReplyPrefixes.contains { stem.hasPrefix($0) }
    }

    /// Whether a header block marks its message as automated: List-Id, `Precedence: bulk|list|junk`,
    /// or `Auto-Submitted` other than `no` (RFC 3834).
    public static func isAutomated(_ headers: HeaderBlock) -> Bool {
        if headers.first("list-id") != nil { return true }
        if let precedence = headers.first("precedence") {
            let value = TextDecoding.headerText(precedence).trimmingCharacters(in: .whitespaces).lowercased()
            if ["bulk", "list", "junk"].contains(value) { return true }
        }
        if let autoSubmitted = headers.first("auto-submitted") {
            let value = TextDecoding.headerText(autoSubmitted).lowercased()
            let keyword = value.split(whereSeparator: { $0 == ";" || $0 == " " || $0 == "(" }).first.map(String.init) ?? ""
            if !keyword.isEmpty, keyword != "no" { return true }
        }
        return false
    }
}

import Foundation
