import Testing
import KithConfig
import KithIMAPWire
@testable import KithHarvest

private func entry(_ name: String, _ attributes: [String] = [], delimiter: Character = "/") -> ListEntry {
    ListEntry(attributes: ["\\HasNoChildren"] + attributes, delimiter: delimiter.asciiValue, name: Array(name.utf8))
}

private func reasons(_ plan: FolderPlan) -> [String: String] {
    Dictionary(uniqueKeysWithValues: plan.folders.compactMap { folder in folder.skipReason.map { (folder.displayName, $0) } })
}

/// The listings of each server personality, and what the plan reads of them.
@Suite struct FolderPlanTests {
    /// Exchange Online in German: no SPECIAL-USE, localized names, folders that hold no mail.
    @Test func exchangeInGermanReadsMailFoldersOnly() {
        let listing = [
            entry("Aufgaben"), entry("Entwürfe"), entry("Gelöschte Elemente"), entry("Gesendete Elemente"), entry("INBOX"),
            entry("Journal"), entry("Junk-E-Mail"), entry("Kalender"), entry("Kalender/Geburtstage"), entry("Kontakte"),
            entry("Notizen"), entry("Postausgang"), entry("Synchronisierungsprobleme"), entry("Synchronisierungsprobleme/Konflikte"),
            entry("Projekte"), entry("Projekte/Kalender"), entry("Unterhaltungsverlauf"), entry("RSS-Feeds"),
        ]
        let plan = FolderPlan.make(listing: listing, selection: FolderSelection())
        #expect(plan.read.map(\.displayName) == ["INBOX", "Gesendete Elemente", "Projekte", "Projekte/Kalender"])
        #expect(plan.read.first { $0.displayName == "Gesendete Elemente" }?.role == .sent)
        let why = reasons(plan)
        #expect(why["Junk-E-Mail"] == "junk (named like junk (de))")
        #expect(why["Gelöschte Elemente"] == "trash (named like trash (de))")
        #expect(why["Entwürfe"] == "drafts (named like drafts (de))")
        #expect(why["Postausgang"] == "outbox (named like outbox (de))")
        #expect(why["Kalender/Geburtstage"] == "holds no mail over IMAP (named like no mail (de))")
        #expect(why["Synchronisierungsprobleme/Konflikte"] != nil)
    }

    @Test func exchangeInFrenchAndJapanese() {
        let french = FolderPlan.make(listing: [entry("INBOX"), entry("Courrier indésirable"), entry("Éléments supprimés"), entry("Brouillons"),
                                               entry("Éléments envoyés"), entry("Calendrier"), entry("Contacts"), entry("Tâches"), entry("Clients")],
                                     selection: FolderSelection())
        #expect(french.read.map(\.displayName) == ["INBOX", "Éléments envoyés", "Clients"])
        let japanese = FolderPlan.make(listing: [entry("INBOX"), entry("迷惑メール"), entry("削除済みアイテム"), entry("下書き"),
                                                 entry("送信済みアイテム"), entry("予定表"), entry("連絡先")], selection: FolderSelection())
        #expect(japanese.read.map(\.displayName) == ["INBOX", "送信済みアイテム"])
    }

    @Test func everyLanguageNamesTheFiveRoles() {
        #expect(FolderNames.languages.map(\.code) == ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "cs", "ru",
                                                      "ja", "zh-Hans", "zh-Hant", "ko"])
        for language in FolderNames.languages {
            #expect(!language.junk.isEmpty && !language.trash.isEmpty && !language.drafts.isEmpty && !language.sent.isEmpty
                    && !language.outbox.isEmpty && language.noMail.count >= 8, "\(language.code)")
        }
    }

    /// Role attributes, when the server gives any, decide; names are not second-guessed then.
    @Test func attributesWinOverNames() {
        let plan = FolderPlan.make(listing: [entry("INBOX"), entry("Spam", ["\\Junk"]), entry("Drafts"), entry("Papierkorb", ["\\Trash"]),
                                             entry("Calendar")], selection: FolderSelection())
        #expect(plan.read.map(\.displayName) == ["INBOX", "Drafts", "Calendar"])
    }

    @Test func gmailReadsAllMailAlone() {
        let listing = [
            entry("INBOX"), entry("[Gmail]", ["\\Noselect", "\\HasChildren"]), entry("[Gmail]/All Mail", ["\\All"]),
            entry("[Gmail]/Drafts", ["\\Drafts"]), entry("[Gmail]/Important", ["\\Important"]), entry("[Gmail]/Sent Mail", ["\\Sent"]),
            entry("[Gmail]/Spam", ["\\Junk"]), entry("[Gmail]/Starred", ["\\Flagged"]), entry("[Gmail]/Trash", ["\\Trash"]),
            entry("Clients/Acme"),
        ]
        let plan = FolderPlan.make(listing: listing, selection: FolderSelection())
        #expect(plan.read.map(\.displayName) == ["[Gmail]/All Mail"])
        #expect(plan.allMail == "[Gmail]/All Mail")
        #expect(reasons(plan)["Clients/Acme"] == "its messages are all in [Gmail]/All Mail (\\All)")
        #expect(reasons(plan)["[Gmail]/Spam"] == "junk (\\Junk)")
        let chosen = FolderPlan.make(listing: listing, selection: FolderSelection(include: ["INBOX", "Clients/*"]))
        #expect(chosen.read.map(\.displayName) == ["INBOX", "Clients/Acme"], "folders.include overrides")
        #expect(chosen.allMail == nil)
    }

    @Test func includeOverridesNamesAndExcludeApplies() {
        let listing = [entry("INBOX"), entry("Junk-E-Mail"), entry("Kalender"), entry("Archiv")]
        let plan = FolderPlan.make(listing: listing, selection: FolderSelection(include: ["*"], exclude: ["Archiv"]))
        #expect(plan.read.map(\.displayName) == ["INBOX", "Junk-E-Mail", "Kalender"])
        #expect(reasons(plan)["Archiv"] == "in folders.exclude")
    }
}
