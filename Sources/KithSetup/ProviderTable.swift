import Foundation
import KithConfig

/// Mail providers kith knows by their domains and by their mail exchangers.
enum ProviderTable {
    struct Provider {
        var name: String
        var url: String
        var oauth2: OAuth2Settings.Provider?
    }

    static let microsoft = Provider(name: "Microsoft 365", url: "imaps://outlook.office365.com", oauth2: .microsoft)
    static let outlook = Provider(name: "Outlook.com", url: "imaps://outlook.office365.com", oauth2: .microsoft)
    static let google = Provider(name: "Google Workspace", url: "imaps://imap.gmail.com", oauth2: .google)
    static let gmail = Provider(name: "Gmail", url: "imaps://imap.gmail.com", oauth2: .google)
    static let icloud = Provider(name: "iCloud Mail (an app-specific password)", url: "imaps://imap.mail.me.com")
    static let fastmail = Provider(name: "Fastmail (an app password)", url: "imaps://imap.fastmail.com")
    static let yahoo = Provider(name: "Yahoo Mail (an app password)", url: "imaps://imap.mail.yahoo.com")
    static let aol = Provider(name: "AOL Mail (an app password)", url: "imaps://imap.aol.com")
    static let gmx = Provider(name: "GMX", url: "imaps://imap.gmx.net")
    static let webde = Provider(name: "WEB.DE", url: "imaps://imap.web.de")
    static let posteo = Provider(name: "Posteo", url: "imaps://posteo.de")
    static let mailboxOrg = Provider(name: "mailbox.org", url: "imaps://imap.mailbox.org")
    static let zoho = Provider(name: "Zoho Mail", url: "imaps://imap.zoho.com")
    static let zohoEU = Provider(name: "Zoho Mail (EU)", url: "imaps://imap.zoho.eu")
    static let yandex = Provider(name: "Yandex Mail", url: "imaps://imap.yandex.com")

    static let byDomain: [String: Provider] = [
        "gmail.com": gmail, "googlemail.com": gmail,
        "outlook.com": outlook, "hotmail.com": outlook, "live.com": outlook, "msn.com": outlook, "office365.com": microsoft,
        "icloud.com": icloud, "me.com": icloud, "mac.com": icloud,
        "fastmail.com": fastmail, "fastmail.fm": fastmail,
        "yahoo.com": yahoo, "ymail.com": yahoo, "aol.com": aol,
        "gmx.de": gmx, "gmx.net": gmx, "gmx.com": gmx, "gmx.at": gmx, "gmx.ch": gmx, "web.de": webde,
        "posteo.de": posteo, "posteo.net": posteo, "mailbox.org": mailboxOrg,
        "zoho.com": zoho, "zohomail.com": zoho, "zoho.eu": zohoEU,
        "yandex.com": yandex, "yandex.ru": yandex,
    ]

    /// The provider behind a mail exchanger host, by the suffixes each provider uses for its customers' MX.
    static func byMailExchanger(_ host: String) -> Provider? {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        let suffixes: [(String, Provider)] = [
            (".mail.protection.outlook.com", microsoft), (".mail.protection.office365.us", microsoft),
            ("aspmx.l.google.com", google), (".aspmx.l.google.com", google), (".googlemail.com", google), ("smtp.google.com", google),
            (".messagingengine.com", fastmail), (".zoho.com", zoho), (".zoho.eu", zohoEU), (".mail.icloud.com", icloud),
            ("mx.yandex.net", yandex), (".mailbox.org", mailboxOrg), (".posteo.de", posteo),
        ]
        return suffixes.first { name == $0.0.trimmingCharacters(in: CharacterSet(charactersIn: ".")) || name.hasSuffix($0.0) }?.1
    }
}
