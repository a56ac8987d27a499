import Foundation
import KithConfig
import KithIMAP

/// Where an address's mailbox is, and how to sign in to it.
public struct DiscoveredServer: Equatable, Sendable {
    public var url: String
    /// Nil: a password. Otherwise the OAuth2 provider to sign in with.
    public var oauth2: OAuth2Settings.Provider?
    /// Who runs it, for people (`Microsoft 365`, `Fastmail`), when known.
    public var provider: String?
    /// Which step found it, for people.
    public var foundBy: String

    public init(url: String, oauth2: OAuth2Settings.Provider?, provider: String?, foundBy: String) {
        self.url = url
        self.oauth2 = oauth2
        self.provider = provider
        self.foundBy = foundBy
    }
}

/// Finds the IMAP server of an address's domain the way mail clients do, step by step: a table of the
/// big providers, the domain's MX records mapped to a provider, RFC 6186 SRV records, then Mozilla-style
/// autoconfig over HTTPS. Blocking.
public struct ServerDiscovery {
    public var environment: [String: String]
    /// Each step tried and what it said, for `kith add` to print.
    public private(set) var steps: [String] = []

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public mutating func discover(address: String) -> DiscoveredServer? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...].lowercased()
        if let known = ProviderTable.byDomain[domain] {
            steps.append("built-in table: \(domain) is \(known.name)")
            return DiscoveredServer(url: known.url, oauth2: known.oauth2, provider: known.name, foundBy: "the built-in table of providers")
        }
        steps.append("built-in table: \(domain) is not in it")
        let dns = DNSClient(environment: environment)
        let exchangers = dns.mx(domain)
        for exchanger in exchangers {
            if let known = ProviderTable.byMailExchanger(exchanger.host) {
                steps.append("MX: \(exchanger.host) belongs to \(known.name)")
                return DiscoveredServer(url: known.url, oauth2: known.oauth2, provider: known.name, foundBy: "the MX record \(exchanger.host)")
            }
        }
        steps.append(exchangers.isEmpty ? "MX: no records" : "MX: \(exchangers.map(\.host).joined(separator: ", ")) (no known provider)")
        for (service, scheme) in [("_imaps._tcp", "imaps"), ("_imap._tcp", "imap")] {
            // A target of "." says the service is not offered (RFC 6186 section 3.4).
            if let record = dns.srv("\(service).\(domain)").first(where: { !$0.target.isEmpty && $0.target != "." }) {
                let url = "\(scheme)://\(record.target):\(record.port)"
                steps.append("SRV \(service).\(domain): \(url)")
                return DiscoveredServer(url: url, oauth2: nil, provider: nil, foundBy: "the SRV record \(service).\(domain)")
            }
        }
        steps.append("SRV: no _imaps._tcp or _imap._tcp record")
        let encoded = address.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "@.-_"))) ?? address
        for url in ["https://autoconfig.\(domain)/mail/config-v1.1.xml?emailaddress=\(encoded)",
                    "https://\(domain)/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=\(encoded)"] {
            let host = URLComponents(string: url)?.host ?? domain
            do {
                let answer = try CurlTransfer.getHTTPS(url: url, caFile: environment["KITH_TEST_CA_FILE"],
                                                       connectTo: environment["KITH_TEST_CONNECT_TO"].map { "\(host):443:\($0)" })
                guard answer.status == 200, let found = Autoconfig.imapServer(in: answer.body) else {
                    steps.append("autoconfig \(url): HTTP \(answer.status), no IMAP server in it")
                    continue
                }
                steps.append("autoconfig \(url): \(found.url)")
                return DiscoveredServer(url: found.url, oauth2: found.oauth2 ? oauthProvider(for: found.url) : nil, provider: found.provider,
                                        foundBy: "autoconfig at \(host)")
            } catch {
                steps.append("autoconfig \(url): \(error)")
            }
        }
        return nil
    }

    private func oauthProvider(for url: String) -> OAuth2Settings.Provider? {
        let host = URLComponents(string: url)?.host ?? ""
        if host.hasSuffix("office365.com") || host.hasSuffix("outlook.com") { return .microsoft }
        if host.hasSuffix("gmail.com") || host.hasSuffix("google.com") { return .google }
        return nil
    }
}

/// Mozilla's autoconfig format (config-v1.1.xml): the first `incomingServer type="imap"`.
enum Autoconfig {
    struct Found { var url: String; var oauth2: Bool; var provider: String? }

    static func imapServer(in body: [UInt8]) -> Found? {
        let text = String(decoding: body.prefix(1 << 20), as: UTF8.self)
        guard let start = text.range(of: "<incomingServer type=\"imap\">") ?? text.range(of: "<incomingServer type='imap'>"),
              let end = text.range(of: "</incomingServer>", range: start.upperBound..<text.endIndex) else { return nil }
        let block = String(text[start.upperBound..<end.lowerBound])
        func value(_ tag: String, in source: String) -> [String] {
            var values: [String] = []
            var rest = source[...]
            while let open = rest.range(of: "<\(tag)>"), let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex) {
                values.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines))
                rest = rest[close.upperBound...]
            }
            return values
        }
        guard let host = value("hostname", in: block).first, !host.isEmpty,
              host.allSatisfy({ $0.isLetter || $0.isNumber || "-.".contains($0) }) else { return nil }
        let port = value("port", in: block).first.flatMap(Int.init)
        let socket = value("socketType", in: block).first?.uppercased() ?? "SSL"
        let scheme = socket == "SSL" ? "imaps" : "imap"  // STARTTLS: imap://, which kith requires to upgrade
        let defaultPort = scheme == "imaps" ? 993 : 143
        let url = "\(scheme)://\(host)" + (port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
        let oauth2 = value("authentication", in: block).contains { $0.lowercased() == "oauth2" }
        return Found(url: url, oauth2: oauth2, provider: value("displayName", in: text).first)
    }
}
