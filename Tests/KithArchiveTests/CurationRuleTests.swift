import Testing
@testable import KithArchive

@Suite struct CurationRuleTests {
    @Test func ignoreRulesMatchAddressesDomainsAndPatterns() throws {
        let address = try #require(IgnoreRule("Team@Acme.example"))
        #expect(address.pattern == "team@acme.example")
        #expect(address.matches("team@acme.example") && !address.matches("steam@acme.example"))
        let domain = try #require(IgnoreRule("@acme.example"))
        #expect(domain.pattern == "acme.example")
        #expect(domain.matches("ann@acme.example") && domain.matches("ann@mail.acme.example") && !domain.matches("ann@notacme.example"))
        let pattern = try #require(IgnoreRule("team-*@*.acme.example"))
        #expect(pattern.matches("team-sales@eu.acme.example") && !pattern.matches("team-sales@acme.example") && !pattern.matches("me@eu.acme.example"))
        let trailing = try #require(IgnoreRule("noreply*"))
        #expect(trailing.matches("noreply-42@x.example") && !trailing.matches("reply@x.example"))
        for bad in ["", "*", "two words", "a@b@c", "user@"] { #expect(IgnoreRule(bad) == nil, "\(bad)") }
    }

    @Test func theUsualGapIsTheMedianGapBetweenDaysOfDirectMail() {
        let day: Int64 = 86_400
        #expect(FadingRule.usualGapDays([0]) == nil)
        // Two messages on one day count as one day: gaps 7, 7, 30 → median 7.
        #expect(FadingRule.usualGapDays([0, 3600, 7 * day, 14 * day, 44 * day]) == 7)
        // An even number of gaps takes the mean of the middle two: 2, 4, 10, 20 → 7.
        #expect(FadingRule.usualGapDays([0, 2 * day, 6 * day, 16 * day, 36 * day]) == 7)
        // Daily mail still has a gap of at least one day.
        #expect(FadingRule.usualGapDays([0, 10, 20, day]) == 1)
        #expect(FadingRule.loss(pastStrength: 50, overdueFactor: 8) == 150)
    }
}
