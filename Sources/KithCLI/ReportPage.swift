import Foundation
import KithArchive
import KithConfig
import KithMail

/// `report.html`: one self-contained page (inline CSS and SVG, no scripts, fonts or network) with the
/// people who matter most, the career timeline, the accounts' countdowns and the share of automated mail.
struct ReportPage {
    struct AccountRow {
        var name: String
        var state: String
        var closesOn: String?
        var daysLeft: Int?
        var messages: Int
        var contacts: Int
        var export: String?
    }

    var generatedAt: String
    var contacts: [ContactSummary]
    /// People ranked in the top table by relationship strength.
    var people: [PersonSummary]
    var starts: [(account: String, email: String, firstDate: Int64)]
    var accounts: [AccountRow]
    var automated: (automated: Int, total: Int)
    /// LinkedIn connections by e-mail: a person's company and position under the name.
    var linkedIn: [String: LinkedInConnection] = [:]
    /// The top of `kith fading`.
    var fading: [FadingPerson] = []
    /// Strong relationships per job and year.
    var strongTies: [StrongTies] = []

    private static let palette = ["#2f6f9f", "#c0632d", "#4f8f3a", "#8a4f9e", "#b8860b", "#2a8c8c"]

    func html() -> String {
        let humans = people.filter { !$0.automated }
        let top = humans.sorted { ($0.strength, $0.messages) > ($1.strength, $1.messages) }.prefix(25)
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>kith report</title>
        <style>
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d2430; background: #f6f7f9; margin: 0; }
        main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; }
        h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 12px; }
        .sub { color: #5b6472; margin-bottom: 22px; }
        .cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin-bottom: 22px; }
        .card, section { background: #fff; border: 1px solid #e1e4ea; border-radius: 10px; padding: 16px 18px; }
        .card b { display: block; font-size: 26px; } .card span { color: #5b6472; }
        section { margin-bottom: 20px; }
        .grid { display: grid; grid-template-columns: 3fr 2fr; gap: 20px; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th { text-align: left; color: #5b6472; font-weight: 600; border-bottom: 1px solid #e1e4ea; padding: 6px 8px; }
        td { padding: 5px 8px; border-bottom: 1px solid #f0f2f5; vertical-align: middle; }
        td.d { white-space: nowrap; font-variant-numeric: tabular-nums; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        .who small { color: #5b6472; display: block; }
        .bar { height: 8px; border-radius: 4px; background: #2f6f9f; display: inline-block; vertical-align: middle; }
        .bar.in { background: #c0632d; }
        .state-ok { color: #2e7d32; } .state-closing { color: #b26a00; } .state-closed, .state-failing { color: #b3261e; }
        svg text { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: #5b6472; }
        .legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
        </style></head>
        <body><main>
        <h1>Your professional network</h1>
        <div class="sub">kith archive, generated \(generatedAt). Numbers count distinct messages; no message content is stored.</div>
        <div class="cards">
          <div class="card"><b>\(humans.count)</b><span>people</span></div>
          <div class="card"><b>\(people.filter { $0.sent > 0 && $0.received > 0 }.count)</b><span>two-way relationships</span></div>
          <div class="card"><b>\(accounts.count)</b><span>accounts (jobs)</span></div>
          <div class="card"><b>\(automated.total)</b><span>messages archived</span></div>
        </div>
        <section><h2>New relationships per month, one band per job</h2>\(timeline())</section>
        <section id="strong-ties"><h2>Strong ties per year, for each job</h2>\(strongTiesChart())</section>
        <section id="fading"><h2>Fading</h2>\(fadingTable())</section>
        <div class="grid">
        <section><h2>The people who matter most</h2>\(peopleTable(Array(top)))</section>
        <div>
        <section><h2>Accounts</h2>\(accountTable())</section>
        <section><h2>Automated mail</h2>\(automatedDonut())</section>
        </div></div>
        </main></body></html>
        """
    }

    private func peopleTable(_ people: [PersonSummary]) -> String {
        let widest = max(1, people.map { max($0.sent, $0.received) }.max() ?? 1)
        var rows = ""
        for person in people {
            let reciprocity = max(person.sent, person.received) == 0 ? 0 : Double(min(person.sent, person.received)) / Double(max(person.sent, person.received))
            let profile = person.addresses.lazy.compactMap { linkedIn[$0.email] }.first
            let role = [profile?.position, profile?.company].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: ", ")
            let roleLine = role.isEmpty ? "" : "<small class=\"role\">\(escape(role))</small>"
            let shown = person.addresses.first?.shown ?? person.email
            rows += """
            <tr><td class="who">\(escape(person.name ?? shown))\(person.name == nil ? "" : "<small>\(escape(shown))</small>")\(roleLine)</td>
            <td><span class="bar" style="width:\(60 * person.sent / widest + 1)px" title="sent \(person.sent)"></span><br><span class="bar in" style="width:\(60 * person.received / widest + 1)px" title="received \(person.received)"></span></td>
            <td class="n">\(String(format: "%.1f", person.strength))</td><td class="n">\(person.messages)</td><td class="n">\(Int(reciprocity * 100))%</td><td class="d">\(escape(String((person.lastSeen ?? "").prefix(10))))</td></tr>
            """
        }
        return "<table><tr><th>Person</th><th>Sent / received</th><th>Strength</th><th>Msgs</th><th>Two-way</th><th>Last contact</th></tr>\(rows)</table>"
    }

    private func fadingTable() -> String {
        guard !fading.isEmpty else { return "<p>No strong relationship is fading.</p>" }
        var rows = ""
        for person in fading.prefix(10) {
            let email = person.name == nil ? "" : "<small>\(escape(person.shown))</small>"
            rows += "<tr><td class=\"who\">\(escape(person.name ?? person.shown))\(email)</td>"
            rows += "<td class=\"d\">\(escape(String(person.lastSeen.prefix(10))))</td><td class=\"n\">every \(Int(person.usualGapDays.rounded())) days</td>"
            rows += "<td class=\"n\">\(String(format: "%.1f", person.overdueFactor))x</td>"
            rows += "<td class=\"n\">\(String(format: "%.1f", person.strength.past)) → \(String(format: "%.1f", person.strength.now))</td></tr>\n"
        }
        return "<p class=\"sub\">Strong relationships quiet for much longer than their usual rhythm, most being lost first.</p>"
            + "<table><tr><th>Person</th><th>Last contact</th><th>Usual rhythm</th><th>Overdue</th><th>Strength then → now</th></tr>\(rows)</table>"
    }

    /// Grouped bars: for each year, one bar per job with the number of strong ties it had that year.
    private func strongTiesChart() -> String {
        guard let first = strongTies.map(\.year).min(), let last = strongTies.map(\.year).max() else {
            return "<p>No strong relationship yet.</p>"
        }
        let startOfJob = Dictionary(strongTies.map { ($0.account, $0.year) }, uniquingKeysWith: min)
        let jobs = startOfJob.keys.sorted { (startOfJob[$0]!, $0) < (startOfJob[$1]!, $1) }
        let count = Dictionary(strongTies.map { ("\($0.account)\n\($0.year)", $0.count) }, uniquingKeysWith: +)
        let peak = Double(strongTies.map(\.count).max() ?? 1)
        let width = 1040.0, left = 40.0, height = 180.0, top = 16.0
        let slot = (width - left - 10) / Double(last - first + 1)
        let bar = max(2, (slot - 8) / Double(jobs.count))
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        var svg = "<svg width=\"100%\" viewBox=\"0 0 \(Int(width)) \(Int(height + 40))\" role=\"img\" aria-label=\"strong ties per year\">"
        svg += "<line x1=\"\(left)\" y1=\"\(height)\" x2=\"\(width - 10)\" y2=\"\(height)\" stroke=\"#e1e4ea\"/>"
        svg += "<text x=\"0\" y=\"\(top + 4)\">\(Int(peak))</text><text x=\"0\" y=\"\(height)\">0</text>"
        for year in first...last {
            let x = left + Double(year - first) * slot
            svg += "<text x=\"\(number(x + slot / 2))\" y=\"\(height + 18)\" text-anchor=\"middle\">\(year)</text>"
            for (index, job) in jobs.enumerated() {
                guard let ties = count["\(job)\n\(year)"] else { continue }
                let barHeight = max(2, (height - top) * Double(ties) / peak)
                svg += "<rect x=\"\(number(x + 4 + Double(index) * bar))\" y=\"\(number(height - barHeight))\" width=\"\(number(bar - 1))\" "
                svg += "height=\"\(number(barHeight))\" fill=\"\(Self.palette[index % Self.palette.count])\" rx=\"1\"><title>\(escape(job)) \(year): \(ties) strong \(ties == 1 ? "tie" : "ties")</title></rect>"
            }
        }
        svg += "</svg>"
        let legend = jobs.enumerated().map { "<span><i style=\"background:\(Self.palette[$0.offset % Self.palette.count])\"></i>\(escape($0.element))</span>" }.joined()
        return svg + "<div class=\"legend\">\(legend)</div>"
            + "<p class=\"sub\">A strong tie: strength \(Int(StrongTies.minimumStrength)) or more from that year's mail of that job alone (docs/strength.md).</p>"
    }

    private func accountTable() -> String {
        var rows = ""
        for account in accounts {
            let cls = account.state.hasPrefix("ok") ? "ok" : account.state.hasPrefix("closing") ? "closing" : account.state.hasPrefix("closed") ? "closed" : "failing"
            let export = account.export.map { "export: \(escape($0))" } ?? (account.closesOn == nil ? "" : "no final export yet")
            rows += "<tr><td><b>\(escape(account.name))</b><br><small class=\"state-\(cls)\">\(escape(account.state))</small></td><td class=\"n\">\(account.contacts) people<br><small>\(account.messages) msgs</small></td><td><small>\(export)</small></td></tr>"
        }
        return "<table>\(rows)</table>"
    }

    private func automatedDonut() -> String {
        let share = automated.total == 0 ? 0 : Double(automated.automated) / Double(automated.total)
        let radius = 48.0, circumference = 2 * Double.pi * radius
        return """
        <svg width="100%" viewBox="0 0 400 130" role="img" aria-label="automated share">
        <circle cx="65" cy="65" r="\(radius)" fill="none" stroke="#e1e4ea" stroke-width="18"/>
        <circle cx="65" cy="65" r="\(radius)" fill="none" stroke="#c0632d" stroke-width="18" stroke-dasharray="\(circumference * share) \(circumference)" transform="rotate(-90 65 65)"/>
        <text x="65" y="70" text-anchor="middle" style="font-size:18px;fill:#1d2430">\(Int((share * 100).rounded()))%</text>
        <text x="135" y="55">\(automated.automated) of \(automated.total) messages</text>
        <text x="135" y="75">came from newsletters,</text>
        <text x="135" y="93">lists and robots</text>
        </svg>
        """
    }

    /// Stacked bands: for each account a row of monthly bars, all on one time axis.
    private func timeline() -> String {
        let people = Set(contacts.filter { !$0.automated }.map(\.email))
        var counts: [String: [Int: Int]] = [:]
        var months: Set<Int> = []
        for start in starts where people.contains(start.email) {
            let iso = MailDate.iso8601(start.firstDate)
            let month = (Int(iso.prefix(4)) ?? 1970) * 12 + (Int(iso.dropFirst(5).prefix(2)) ?? 1) - 1
            counts[start.account, default: [:]][month, default: 0] += 1
            months.insert(month)
        }
        guard let first = months.min(), let last = months.max() else { return "<p>No relationships archived yet.</p>" }
        // Jobs in the order they began.
        let names = counts.keys.sorted { (counts[$0]!.keys.min() ?? 0, $0) < (counts[$1]!.keys.min() ?? 0, $1) }
        let width = 1040.0, left = 120.0, band = 70.0, span = Double(last - first + 1)
        let barWidth = max(1, (width - left - 10) / span - 1)
        let peak = Double(counts.values.flatMap(\.values).max() ?? 1)
        var svg = "<svg width=\"100%\" viewBox=\"0 0 \(Int(width)) \(Int(band * Double(names.count) + 30))\" role=\"img\" aria-label=\"career timeline\">"
        for (row, name) in names.enumerated() {
            let colour = Self.palette[row % Self.palette.count]
            let base = band * Double(row + 1) - 8
            svg += "<text x=\"0\" y=\"\(base - band / 2 + 10)\" style=\"fill:#1d2430;font-weight:600\">\(escape(name))</text>"
            svg += "<line x1=\"\(left)\" y1=\"\(base)\" x2=\"\(width - 10)\" y2=\"\(base)\" stroke=\"#e1e4ea\"/>"
            for (month, count) in counts[name]!.sorted(by: { $0.key < $1.key }) {
                let x = left + Double(month - first) * (width - left - 10) / span
                let height = max(2, (band - 18) * Double(count) / peak)
                svg += "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(String(format: "%.1f", base - height))\" width=\"\(String(format: "%.1f", barWidth))\" height=\"\(String(format: "%.1f", height))\" fill=\"\(colour)\" rx=\"1\"><title>\(escape(name)) \(month / 12)-\(month % 12 + 1): \(count) new</title></rect>"
            }
        }
        let axis = band * Double(names.count) + 20
        for year in (first / 12)...(last / 12) {
            let x = left + Double(year * 12 - first) * (width - left - 10) / span
            if x >= left - 1 { svg += "<text x=\"\(String(format: "%.1f", x))\" y=\"\(axis)\">\(year)</text>" }
        }
        svg += "</svg>"
        let legend = names.enumerated().map { "<span><i style=\"background:\(Self.palette[$0.offset % Self.palette.count])\"></i>\(escape($0.element))</span>" }.joined()
        return svg + "<div class=\"legend\">\(legend)</div>"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
