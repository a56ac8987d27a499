import Foundation
import KithArchive
import KithConfig
import KithIMAP
import KithMail

/// `kith sync-carddav`: puts the people who matter into a CardDAV address book (RFC 6352) as vCard 4.0,
/// one card per person under a UID that stays theirs. Only cards kith created are ever written or deleted,
/// each with If-Match on the ETag kith last saw, so a card edited on the server since is reported, not overwritten.
public struct CardDAVSync: Sendable {
    public let settings: CardDAVSettings
    public let archive: Archive
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init(settings: CardDAVSettings, archive: Archive) {
        self.settings = settings
        self.archive = archive
    }

    /// What one sync did.
    public struct Outcome: Sendable, Equatable {
        public var created = 0
        public var updated = 0
        public var unchanged = 0
        public var deleted = 0
        /// Cards edited on the server since kith wrote them: left as they are.
        public var conflicts: [String] = []
        /// Cards that could not be written, with why.
        public var failures: [String] = []

        public var summary: String {
            var text = "\(created) created, \(updated) updated, \(unchanged) unchanged, \(deleted) deleted"
            if !conflicts.isEmpty { text += ", \(conflicts.count) left alone (edited on the server)" }
            if !failures.isEmpty { text += ", \(failures.count) failed" }
            return text
        }
    }

    /// Syncs the people selected at `now` (Unix seconds).
    public func run(now: Int64) throws(CardDAVError) -> Outcome {
        let password: Secret
        do {
            password = Secret(try settings.password.resolve(environment: environment))
        } catch {
            throw CardDAVError("cannot read the CardDAV password: \(error)")
        }
        try checkCollection(password)
        let people: [PersonSummary]
        let linkedIn: [String: LinkedInConnection]
        let records: [CardDAVRecord]
        do {
            people = try selectedPeople(now: now)
            linkedIn = try archive.linkedInByEmail()
            records = try archive.cardDAVRecords(collection: settings.url)
        } catch {
            throw CardDAVError("cannot read the archive: \(error)")
        }
        var outcome = Outcome()
        var kept: Set<String> = []
        // Each address to the cards that list it, so finding a person's card does not scan every card.
        var recordsOfAddress: [String: [Int]] = [:]
        for (index, record) in records.enumerated() {
            for address in record.addresses { recordsOfAddress[address, default: []].append(index) }
        }
        for person in people {
            let record = person.addresses.lazy.flatMap { recordsOfAddress[$0.email] ?? [] }.map { records[$0] }
                .first { !kept.contains($0.uid) }
            let uid = record?.uid ?? UUID().uuidString.lowercased()
            kept.insert(uid)
            let text = ContactFiles.card(person, linkedIn: linkedIn, uid: "urn:uuid:\(uid)")
            let hash = Digest.sha256Hex(Array(text.utf8))
            var next = CardDAVRecord(uid: uid, href: record?.href ?? "\(uid).vcf", etag: record?.etag,
                                     addresses: person.addresses.map(\.email), contentHash: hash)
            if let record, record.contentHash == hash {
                outcome.unchanged += 1
                continue
            }
            let condition = record.map { "If-Match: \($0.etag ?? "*")" } ?? "If-None-Match: *"
            do {
                let response = try CurlTransfer.request("PUT", url: settings.url + next.href,
                                                        headers: ["Content-Type: text/vcard; charset=utf-8", condition],
                                                        body: Array(text.utf8), username: settings.username, password: password,
                                                        caFile: settings.tlsCAFile)
                switch response.status {
                case 200..<300:
                    next.etag = try response.headers["etag"] ?? etag(of: next.href, password)
                    try archive.saveCardDAVRecord(next, collection: settings.url)
                    if record == nil { outcome.created += 1 } else { outcome.updated += 1 }
                case 412:
                    outcome.conflicts.append(SafeText.line("\(person.name ?? person.email) (\(next.href))"))
                default:
                    outcome.failures.append(SafeText.line("\(person.email): the server answered HTTP \(response.status)"))
                }
            } catch {
                outcome.failures.append(SafeText.line("\(person.email): \(error)"))
            }
        }
        // Cards kith made for people no longer selected (weaker now, ignored, forgotten): deleted unless edited since.
        for record in records where !kept.contains(record.uid) {
            do {
                let response = try CurlTransfer.request("DELETE", url: settings.url + record.href, headers: ["If-Match: \(record.etag ?? "*")"],
                                                        username: settings.username, password: password, caFile: settings.tlsCAFile)
                switch response.status {
                case 200..<300, 404:
                    outcome.deleted += response.status == 404 ? 0 : 1
                    try archive.removeCardDAVRecord(uid: record.uid, collection: settings.url)
                case 412:
                    // Edited on the server: the card is the user's now.
                    outcome.conflicts.append(SafeText.line("\(record.href), no longer selected but edited on the server: kept, and no longer kith's"))
                    try archive.removeCardDAVRecord(uid: record.uid, collection: settings.url)
                default:
                    outcome.failures.append("\(record.href): the server answered HTTP \(response.status) to DELETE")
                }
            } catch {
                outcome.failures.append(SafeText.line("\(record.href): \(error)"))
            }
        }
        return outcome
    }

    /// The people the settings select: not automated, and at least `min_strength` or among the `top` strongest.
    func selectedPeople(now: Int64) throws -> [PersonSummary] {
        let people = try archive.people(ContactFilter(includeAutomated: false), now: now)
            .filter { !$0.automated && $0.strength > 0 }
            .sorted { ($0.strength, $1.email) > ($1.strength, $0.email) }
        switch settings.selection {
        case .minStrength(let minimum): return people.filter { $0.strength >= minimum }
        case .top(let count): return Array(people.prefix(count))
        }
    }

    /// PROPFIND on the collection: a clear error for a wrong password, a wrong address or something that is not an address book.
    private func checkCollection(_ password: Secret) throws(CardDAVError) {
        let body = #"<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>"#
        let response: HTTPResponse
        do {
            response = try CurlTransfer.request("PROPFIND", url: settings.url, headers: ["Depth: 0", "Content-Type: application/xml; charset=utf-8"],
                                                body: Array(body.utf8), username: settings.username, password: password, caFile: settings.tlsCAFile)
        } catch {
            throw CardDAVError("cannot reach \(settings.url): \(error)")
        }
        switch response.status {
        case 207:
            guard String(decoding: response.body, as: UTF8.self).contains("addressbook") else {
                throw CardDAVError("\(settings.url) is not an address book (its resourcetype names no CARDDAV:addressbook)")
            }
        case 401, 403:
            throw CardDAVError("\(settings.url) refused user \(settings.username): authentication failed (HTTP \(response.status)); check the password source")
        case 404:
            throw CardDAVError("no address book at \(settings.url) (HTTP 404); create it in the server's interface or fix [carddav] url")
        default:
            throw CardDAVError("\(settings.url) answered HTTP \(response.status) to PROPFIND")
        }
    }

    private func etag(of href: String, _ password: Secret) throws -> String? {
        try CurlTransfer.request("GET", url: settings.url + href, username: settings.username, password: password,
                                 caFile: settings.tlsCAFile).headers["etag"]
    }
}

/// CardDAV sync could not start: the message names the server and what to do.
public struct CardDAVError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = SafeText.line(description) }
}
