/// Contacts as files other tools import: vCard 4.0 (RFC 6350) and Google Contacts' CSV (RFC 4180 quoting).
public enum ContactFiles {
    /// One card per contact, CRLF line ends, text escaped (section 3.4) and lines folded at 75 octets (section 3.2).
    public static func vCard(_ contacts: [ContactSummary]) -> String {
        var out = ""
        for contact in contacts {
            let lines = [
                "BEGIN:VCARD",
                "VERSION:4.0",
                "FN:" + escape(contact.name ?? contact.email),
                "EMAIL;TYPE=work:" + escape(contact.email),
                "NOTE:" + escape(note(contact)),
                "END:VCARD",
            ]
            for line in lines { out += fold(line) + "\r\n" }
        }
        return out
    }

    /// `Name,E-mail 1 - Type,E-mail 1 - Value,Notes` with a header row, CRLF line ends.
    public static func googleCSV(_ contacts: [ContactSummary]) -> String {
        var out = "Name,E-mail 1 - Type,E-mail 1 - Value,Notes\r\n"
        for contact in contacts {
            out += [contact.name ?? "", "* Work", contact.email, note(contact)].map(csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func note(_ contact: ContactSummary) -> String {
        var text = "kith: \(contact.messages) messages (\(contact.sent) sent, \(contact.received) received)"
        if let first = contact.firstSeen, let last = contact.lastSeen { text += ", \(first.prefix(10)) to \(last.prefix(10))" }
        if !contact.accounts.isEmpty { text += ", accounts: \(contact.accounts.joined(separator: ", "))" }
        if contact.automated { text += ", automated" }
        return text
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case ",": out += "\\,"
            case ";": out += "\\;"
            case "\n", "\r\n", "\r": out += "\\n"
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

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
