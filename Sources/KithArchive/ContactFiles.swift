import KithMail

/// People as files other tools import: vCard 4.0 (RFC 6350) and Google Contacts' CSV (RFC 4180 quoting).
public enum ContactFiles {
    /// One card per person with every address (the busiest preferred), CRLF line ends, text escaped
    /// (section 3.4) and lines folded at 75 octets (section 3.2).
    /// `linkedIn` (by e-mail) adds ORG, TITLE and URL for people found in LinkedIn's export.
    public static func vCard(_ people: [PersonSummary], linkedIn: [String: LinkedInConnection] = [:]) -> String {
        people.map { card($0, linkedIn: linkedIn) }.joined()
    }

    /// One person's card. With `uid` (a CardDAV card), it also has UID, PRODID and a structured N for phones,
    /// and its NOTE gives the strength as a whole number, so the card changes only when the numbers do.
    public static func card(_ person: PersonSummary, linkedIn: [String: LinkedInConnection] = [:], uid: String? = nil) -> String {
        var lines = ["BEGIN:VCARD", "VERSION:4.0"]
        if let uid { lines += ["UID:" + uid, "PRODID:-//kith//kith//EN"] }
        lines.append("FN:" + escape(person.name ?? person.email))
        if uid != nil, let name = person.name, !name.contains("@") {
            let words = name.split(separator: " ").map(String.init)
            lines.append("N:" + (words.count > 1 ? escape(words.last!) + ";" + escape(words.dropLast().joined(separator: " ")) : ";" + escape(name)) + ";;;")
        }
        for (index, address) in person.addresses.enumerated() {
            lines.append("EMAIL;TYPE=work" + (index == 0 ? ";PREF=1" : "") + ":" + escape(address.shown))
        }
        if let profile = person.addresses.lazy.compactMap({ linkedIn[$0.email] }).first {
            if let company = profile.company, !company.isEmpty { lines.append("ORG:" + escape(company)) }
            if let position = profile.position, !position.isEmpty { lines.append("TITLE:" + escape(position)) }
            if let url = profile.url, url.hasPrefix("https://") { lines.append("URL:" + escape(url)) }
        }
        lines += ["NOTE:" + escape(note(person, wholeStrength: uid != nil)), "END:VCARD"]
        return lines.map { fold($0) + "\r\n" }.joined()
    }

    /// `Name,E-mail 1 - Type,E-mail 1 - Value,...,Notes` with as many address columns as the person with the most, CRLF line ends.
    public static func googleCSV(_ people: [PersonSummary]) -> String {
        let columns = max(1, people.map(\.addresses.count).max() ?? 1)
        var header = ["Name"]
        for number in 1...columns { header += ["E-mail \(number) - Type", "E-mail \(number) - Value"] }
        var out = (header + ["Notes"]).joined(separator: ",") + "\r\n"
        for person in people {
            var fields = [person.name ?? ""]
            for index in 0..<columns {
                let email = index < person.addresses.count ? person.addresses[index].shown : ""
                fields += [email.isEmpty ? "" : "* Work", email]
            }
            fields.append(note(person))
            out += fields.map(csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func note(_ person: PersonSummary, wholeStrength: Bool = false) -> String {
        let strength = wholeStrength ? String(Int(person.strength.rounded())) : String(person.strength)
        var text = "kith: strength \(strength), \(person.messages) messages (\(person.sent) sent, \(person.received) received)"
        if let first = person.firstSeen, let last = person.lastSeen { text += ", \(first.prefix(10)) to \(last.prefix(10))" }
        if !person.accounts.isEmpty { text += ", accounts: \(person.accounts.joined(separator: ", "))" }
        if person.automated { text += ", automated" }
        return text
    }

    static func escape(_ raw: String) -> String {
        var out = ""
        // Line breaks of every kind become \n below; other controls and bidi overrides become visible escapes.
        let text = String(String.UnicodeScalarView(raw.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            ["\r", "\n", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) ? [scalar] : Array(SafeText.line(String(scalar)).unicodeScalars)
        }))
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case ",": out += "\\,"
            case ";": out += "\\;"
            case "\n", "\r\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Splits at 75 octets without cutting a UTF-8 sequence; continuation lines start with one space.
    static func fold(_ line: String) -> String {
        var result = ""
        var count = 0
        for scalar in line.unicodeScalars {
            let width = String(scalar).utf8.count
            if count + width > 75 {
                result += "\r\n "
                count = 1
            }
            result.unicodeScalars.append(scalar)
            count += width
        }
        return result
    }

    /// RFC 4180 quoting, after a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, also
    /// after leading spaces, tabs or CRs, or a leading tab or CR itself) gets a leading `'` (OWASP's advice).
    static func csvField(_ raw: String) -> String {
        let text = SafeText.lines(neutralisingFormula(raw))
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func neutralisingFormula(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.first else { return text }
        let lead = scalars.first { $0 != " " && $0 != "\t" && $0 != "\r" }
        if first == "\t" || first == "\r" || lead.map({ "=+-@".unicodeScalars.contains($0) }) == true { return "'" + text }
        return text
    }
}
