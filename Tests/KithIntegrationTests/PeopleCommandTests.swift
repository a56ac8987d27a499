import Foundation
import Testing
import KithConfig
import KithMail
import KithTestSupport

/// People on the command line: suggestions, links that survive harvests, contacts and exports by person.
@Suite(.serialized) struct PeopleCommandTests {
    /// Mail with Ada at her old and new employers (one spelled "Lovelace, Ada"), and a namesake-free control.
    static func adaMessages(from first: Int, count: Int, domain: String, writtenName: String, year: Int) -> [SampleMessage] {
        (0..<count).map { offset in
            let index = first + offset
            let date = Int64(MailDate.daysFromCivil(year: year, month: 3, day: 1 + offset)) * 86_400 + 36_000
            let ada = SampleMessage.Address(email: "ada@\(domain)", written: "ada@\(domain)", name: nil, writtenName: writtenName)
            let me = SampleMessage.Address(email: "me@acme.example", written: "me@acme.example", name: nil, writtenName: "Me")
            let sent = offset % 2 == 1
            return SampleMessage(folder: sent ? "Sent" : "INBOX", logicalID: "ada\(index)", messageID: "ada\(index)@people.example",
                                 date: date, dateHeader: "\(1 + offset) Mar \(year) 10:00:00 +0000", internalDate: date,
                                 from: [sent ? me : ada], to: [sent ? ada : me], cc: [], bcc: [], automated: false, sent: sent, seen: true)
        }
    }

    @Test func suggestLinkHarvestUnlink() throws {
        try #require(FileManager.default.isExecutableFile(atPath: kithBinary), "build the kith product first")
        let account = try TestAccount(messages: 60, seed: 5)
        try account.deliver(Self.adaMessages(from: 0, count: 6, domain: "oldjob.example", writtenName: "\"Lovelace, Ada\"", year: 2019)
                            + Self.adaMessages(from: 10, count: 4, domain: "newjob.example", writtenName: "Ada Lovelace", year: 2023)
                            + Self.adaMessages(from: 20, count: 2, domain: "other.example", writtenName: "Ada", year: 2023))
        #expect(try kith(["harvest"], config: account.configPath).status == 0)

        let suggestions = try kith(["suggest-links", "--json"], config: account.configPath)
        #expect(suggestions.status == 0, "\(suggestions.errors)")
        let pairs = try #require(try JSONSerialization.jsonObject(with: Data(suggestions.output.utf8)) as? [[String: Any]])
        let adaPairs = pairs.compactMap { ($0["addresses"] as? [[String: Any]])?.compactMap { $0["email"] as? String } }
            .filter { $0.contains { $0.hasPrefix("ada@") } }
        #expect(adaPairs == [["ada@oldjob.example", "ada@newjob.example"]], "one-word names are never suggested")
        let text = try kith(["suggest-links"], config: account.configPath)
        #expect(text.output.contains("kith link ada@oldjob.example ada@newjob.example"))
        #expect(text.output.contains("6 messages, 2019-03-01 to 2019-03-06"))

        func person(_ email: String) throws -> [String: Any]? {
            let result = try kith(["contacts", "--json", "--search", "ada@"], config: account.configPath)
            let people = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
            return people.first { ($0["emails"] as? [String])?.contains(email) == true }
        }
        #expect(try person("ada@oldjob.example")?["emails"] as? [String] == ["ada@oldjob.example"])

        let link = try kith(["link", "ADA@oldjob.example", "ada@newjob.example"], config: account.configPath)
        #expect(link.status == 0, "\(link.errors)")
        var ada = try #require(try person("ada@newjob.example"))
        #expect(ada["emails"] as? [String] == ["ada@oldjob.example", "ada@newjob.example"])
        #expect(ada["messages"] as? Int == 10 && ada["received"] as? Int == 5 && ada["sent"] as? Int == 5)
        #expect((ada["addresses"] as? [[String: Any]])?.map { $0["messages"] as? Int } == [6, 4], "per-address numbers stay")
        #expect(try kith(["suggest-links", "--json"], config: account.configPath).output.contains("ada@oldjob") == false)

        // New mail and a second harvest keep the link.
        try account.deliver(Self.adaMessages(from: 30, count: 2, domain: "newjob.example", writtenName: "Ada Lovelace", year: 2024))
        #expect(try kith(["harvest"], config: account.configPath).status == 0)
        ada = try #require(try person("ada@newjob.example"))
        #expect(ada["messages"] as? Int == 12)

        let vcf = account.directory.appendingPathComponent("people.vcf").path
        #expect(try kith(["export", "--format", "vcard", "--output", vcf], config: account.configPath).status == 0)
        let card = try String(contentsOfFile: vcf, encoding: .utf8).components(separatedBy: "END:VCARD").first { $0.contains("ada@oldjob") } ?? ""
        // 6 messages each now: the tie goes to the first address in order, which is preferred.
        #expect(card.contains("EMAIL;TYPE=work;PREF=1:ada@newjob.example") && card.contains("EMAIL;TYPE=work:ada@oldjob.example"))

        #expect(try kith(["unlink", "ada@newjob.example"], config: account.configPath).status == 0)
        #expect(try person("ada@newjob.example")?["emails"] as? [String] == ["ada@newjob.example"])
        #expect(try kith(["unlink", "ada@newjob.example"], config: account.configPath).status == 1)
        #expect(try kith(["link", "ada@oldjob.example"], config: account.configPath).status == 2)
        #expect(try kith(["link", "not an address", "ada@oldjob.example"], config: account.configPath).status == 2)
    }
}
