import Foundation
import Testing
import KithTestSupport

@Suite(.serialized) struct LinkedInTests {
    /// LinkedIn's Connections.csv: joined by e-mail, suggested by name, LinkedIn-only people kept but never contacts.
    @Test func connectionsJoinByEmailOnly() throws {
        let account = try TestAccount(messages: 120, seed: 167)
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        // Two-word names without commas or quotes, as LinkedIn has them.
        let contacts = account.mailbox.expectedContacts().values.filter {
            !$0.automated && ($0.name?.split(separator: " ").count ?? 0) == 2 && !($0.name ?? "").contains(where: { ",\"".contains($0) })
        }
            .sorted { $0.email < $1.email }
        let (joined, named) = (try #require(contacts.first), try #require(contacts.last))
        #expect(joined.email != named.email)
        func split(_ name: String?) -> (String, String) {
            let words = (name ?? "").split(separator: " ")
            return (String(words[0]), words.dropFirst().joined(separator: " "))
        }
        let (joinedFirst, joinedLast) = split(joined.name)
        let (namedFirst, namedLast) = split(named.name)
        let csv = account.directory.appendingPathComponent("Connections.csv").path
        try """
            Notes:
            "When exporting your connection data, you may notice that some of the email addresses are missing. You will only see email addresses for connections who have allowed their connections to see or download their email address."

            First Name,Last Name,URL,Email Address,Company,Position,Connected On
            "\(joinedFirst)","\(joinedLast)",https://www.linkedin.com/in/joined,\(joined.email.uppercased()),"Analytical Engines, Ltd",CTO,12 Mar 2021
            "\(namedFirst)","\(namedLast)",https://www.linkedin.com/in/named,,Difference Co,Engineer,01 Feb 2019
            Charles,Babbage,https://www.linkedin.com/in/charles,,"Babbage ""and"" Sons",Founder,30 Dec 2015

            """.write(toFile: csv, atomically: true, encoding: .utf8)
        let imported = try kith(["import-linkedin", csv], config: account.configPath)
        #expect(imported.status == 0, "\(imported.errors)")
        #expect(imported.output.contains("3 connections (3 new): 1 joined to contacts by e-mail, 1 suggested by name, 1 known only from LinkedIn"), "\(imported.output)")
        #expect(imported.output.contains("suggestion: \(named.name!) (Difference Co) may be \(named.email)"), "\(imported.output)")

        let json = try kith(["contacts", "--json", "--include-automated"], config: account.configPath)
        let people = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
        let joinedPerson = try #require(people.first { ($0["emails"] as? [String])?.contains(joined.email) == true })
        let linkedin = try #require(joinedPerson["linkedin"] as? [String: Any])
        #expect(linkedin["company"] as? String == "Analytical Engines, Ltd" && linkedin["position"] as? String == "CTO")
        #expect(linkedin["connected_on"] as? String == "2021-03-12" && linkedin["url"] as? String == "https://www.linkedin.com/in/joined")
        #expect(people.first { ($0["emails"] as? [String])?.contains(named.email) == true }?["linkedin"] == nil, "a name match is never merged")
        #expect(!json.output.contains("Babbage"), "people known only from LinkedIn are not correspondents")

        let vcard = try kith(["export", "--format", "vcard", "--include-automated"], config: account.configPath)
        #expect(vcard.output.contains("ORG:Analytical Engines\\, Ltd\r\nTITLE:CTO\r\nURL:https://www.linkedin.com/in/joined"), "\(vcard.output.prefix(600))")
        let show = try kith(["show", joined.email], config: account.configPath)
        #expect(show.output.contains("LinkedIn: CTO at Analytical Engines, Ltd, https://www.linkedin.com/in/joined, connected 2021-03-12"), "\(show.output)")

        let report = account.directory.appendingPathComponent("report.html").path
        #expect(try kith(["report", "--output", report], config: account.configPath).status == 0)
        let page = try String(contentsOfFile: report, encoding: .utf8)
        #expect(page.contains("<small class=\"role\">CTO, Analytical Engines, Ltd</small>"), "the report's top table shows position and company")

        let again = try kith(["import-linkedin", csv], config: account.configPath)
        #expect(again.output.contains("3 connections (0 new)"), "importing again replaces: \(again.output)")
        #expect(try kith(["verify"], config: account.configPath).status == 0)
    }

    @Test func notLinkedInsFileIsRefusedClearly() throws {
        let account = try TestAccount(messages: 3, seed: 2)
        let csv = account.directory.appendingPathComponent("other.csv").path
        try "Name,Email\nAda,ada@example.org\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let result = try kith(["import-linkedin", csv], config: account.configPath)
        #expect(result.status == 1 && result.errors.contains("not LinkedIn's Connections.csv"), "\(result.errors)")
    }
}
