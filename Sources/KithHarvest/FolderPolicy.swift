/// The folder name patterns of `folders.include` and `folders.exclude`. Which folders a harvest reads is
/// `FolderPlan`'s decision, and the final export's is `FinalExporter.exports`; both use this match.
public enum FolderPolicy {
    /// Glob match with `*` (any run) and `?` (one character); `INBOX` matches case-insensitively.
    public static func matches(_ name: String, pattern: String) -> Bool {
        if pattern.uppercased() == "INBOX" { return name.uppercased() == "INBOX" }
        let text = Array(name), glob = Array(pattern)
        var t = 0, g = 0, starG = -1, starT = 0
        while t < text.count {
            if g < glob.count, glob[g] == "?" || glob[g] == text[t] {
                t += 1
                g += 1
            } else if g < glob.count, glob[g] == "*" {
                starG = g
                starT = t
                g += 1
            } else if starG >= 0 {
                g = starG + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while g < glob.count, glob[g] == "*" { g += 1 }
        return g == glob.count
    }
}
