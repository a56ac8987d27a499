import Foundation

/// LinkedIn's data export `Connections.csv`: a "Notes:" preamble, then the columns First Name, Last Name,
/// URL, Email Address, Company, Position, Connected On (RFC 4180 quoting).
public enum LinkedInCSV {
    public struct Row: Sendable, Equatable {
        public var firstName, lastName, url, email, company, position: String
        /// `YYYY-MM-DD`, from LinkedIn's `01 Jan 2020`; nil when unreadable.
        public var connectedOn: String?
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static func parse(_ text: String) throws(Failure) -> [Row] {
        let records = records(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        guard let headerIndex = records.firstIndex(where: { $0.contains("First Name") && $0.contains("Last Name") }) else {
            throw Failure(description: "no header row with \"First Name\" and \"Last Name\": not LinkedIn's Connections.csv")
        }
        let header = records[headerIndex].map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        let (first, last, url, email, company, position, connected) = (column("First Name"), column("Last Name"), column("URL"),
            column("Email Address"), column("Company"), column("Position"), column("Connected On"))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd MMM yyyy"
        let iso = DateFormatter()
        iso.locale = Locale(identifier: "en_US_POSIX")
        iso.timeZone = TimeZone(identifier: "UTC")
        iso.dateFormat = "yyyy-MM-dd"
        return records[(headerIndex + 1)...].compactMap { fields in
            func value(_ index: Int?) -> String {
                guard let index, index < fields.count else { return "" }
                return fields[index].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard !value(first).isEmpty || !value(last).isEmpty else { return nil }
            return Row(firstName: value(first), lastName: value(last), url: value(url), email: value(email).lowercased(),
                       company: value(company), position: value(position),
                       connectedOn: formatter.date(from: value(connected)).map(iso.string(from:)))
        }
    }

    /// RFC 4180 records: fields split at commas outside quotes, `""` inside quotes is one quote.
    static func records(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let scalar = pending ?? scalars.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    let next = scalars.next()
                    if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty: quoted = true
            case ",": record.append(field); field = ""
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
            case "\r": continue
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
