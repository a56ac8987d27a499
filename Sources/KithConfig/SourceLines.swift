/// Maps TOML keys back to the lines they were written on, since the TOML parser keeps no positions.
///
/// It understands what kith's files use: `[table]`, `[[account]]`, `[account.sub]` headers and
/// `key = value` lines (bare or quoted keys, dotted keys by their first part).
struct SourceLines {
    private struct Section: Hashable {
        var path: String
        var accountIndex: Int
    }

    private var headerLines: [Section: Int] = [:]
    private var keyLines: [Section: [String: Int]] = [:]

    init(text: String) {
        var section = Section(path: "", accountIndex: -1)
        var accountIndex = -1
        var inMultilineString = false
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            let tripleQuotes = line.components(separatedBy: "\"\"\"").count - 1 + line.components(separatedBy: "'''").count - 1
            if inMultilineString {
                if tripleQuotes % 2 == 1 { inMultilineString = false }
                continue
            }
            if tripleQuotes % 2 == 1 { inMultilineString = true }
            if line.hasPrefix("[[") {
                let name = Self.headerName(line.dropFirst(2))
                if name == "account" { accountIndex += 1 }
                section = Section(path: name, accountIndex: name.hasPrefix("account") ? accountIndex : -1)
                headerLines[section] = headerLines[section] ?? lineNumber
            } else if line.hasPrefix("[") {
                let name = Self.headerName(line.dropFirst())
                section = Section(path: name, accountIndex: name.hasPrefix("account.") ? accountIndex : -1)
                headerLines[section] = headerLines[section] ?? lineNumber
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                var key = line[..<equals].trimmingCharacters(in: .whitespaces)
                if key.hasPrefix("\""), key.hasSuffix("\""), key.count >= 2 { key = String(key.dropFirst().dropLast()) }
                if let dot = key.firstIndex(of: ".") { key = String(key[..<dot]) }
                if keyLines[section]?[key] == nil { keyLines[section, default: [:]][key] = lineNumber }
            }
        }
    }

    /// The line of `key` in table `path` (`archive`, `account`, `account.folders`) of account `accountIndex`;
    /// the table's header line when the key is absent; 1 when neither is known.
    func line(path: String, accountIndex: Int = -1, key: String? = nil) -> Int {
        let section = Section(path: path, accountIndex: accountIndex)
        if let key, let line = keyLines[section]?[key] { return line }
        if path.contains("."), let dot = path.lastIndex(of: ".") {
            // A sub-table written inline (`folders = { ... }`) sits on its parent's key line.
            let parent = Section(path: String(path[..<dot]), accountIndex: accountIndex)
            if let line = keyLines[parent]?[String(path[path.index(after: dot)...])] { return line }
        }
        return headerLines[section] ?? 1
    }

    private static func headerName(_ rest: Substring) -> String {
        let name = rest.prefix { $0 != "]" }
        return name.split(separator: ".").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }.joined(separator: ".")
    }
}

import Foundation
