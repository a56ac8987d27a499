import Foundation
import TOMLKit

/// A configuration table decoded declaratively: its `CodingKeys` are the keys it allows, and what its
/// `init(from:)` throws is reported at the line of the key concerned.
protocol ConfigTable: Decodable {
    static var allowedKeys: [String] { get }
}

/// Where a table sits, for messages about it.
struct TablePlace {
    var file: String
    var lines: SourceLines
    /// The section as SourceLines knows it, such as `account.oauth2`.
    var path: String
    var accountIndex: Int
    /// How keys are named in messages, such as `oauth2.`.
    var keyPrefix: String
    var account: String?
}

extension ConfigDecoder {
    /// Decodes `table` as `T`; unknown keys, wrong types and invalid values become problems at their lines.
    mutating func decodeTable<T: ConfigTable>(_ type: T.Type, from table: TOMLTable, at place: TablePlace) -> T? {
        func problem(_ key: String?, _ message: String) {
            let line = place.lines.line(path: place.path, accountIndex: place.accountIndex, key: key)
            let name = key.map { place.keyPrefix + $0 } ?? String(place.keyPrefix.dropLast())
            problems.append(ConfigProblem(location: SourceLocation(file: place.file, line: line), account: place.account, key: name, message: message))
        }
        let unknown = table.keys.filter { !T.allowedKeys.contains($0) }.sorted()
        for key in unknown { problem(key, "unknown key") }
        guard unknown.isEmpty else { return nil }
        do {
            return try TOMLDecoder().decode(T.self, from: table)
        } catch let DecodingError.keyNotFound(key, _) {
            // TOMLKit reports a value of the wrong type as a missing key.
            if let value = table[key.stringValue] {
                problem(key.stringValue, "expected a string, found \(value.type)")
            } else {
                problem(nil, "missing required key \"\(key.stringValue)\"")
            }
        } catch let DecodingError.typeMismatch(expected, context) {
            problem(context.codingPath.first?.stringValue, "expected \(Self.describe(expected))")
        } catch let DecodingError.valueNotFound(expected, context) {
            problem(context.codingPath.first?.stringValue, "expected \(Self.describe(expected))")
        } catch let DecodingError.dataCorrupted(context) {
            problem(context.codingPath.first?.stringValue, context.debugDescription)
        } catch {
            problem(nil, "\(error)")
        }
        return nil
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is [String].Type: "an array of strings"
        case is Bool.Type: "true or false"
        case is Int.Type: "a whole number"
        default: "a value of another type"
        }
    }
}

/// `[account.oauth2]`, as written.
struct OAuth2Table: ConfigTable {
    var settings: OAuth2Settings

    enum CodingKeys: String, CodingKey, CaseIterable {
        case provider
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case clientSecretFile = "client_secret_file"
        case tenant, flow, scopes
        case deviceAuthorizationURL = "device_authorization_url"
        case authorizationURL = "authorization_url"
        case tokenURL = "token_url"
    }

    static var allowedKeys: [String] { CodingKeys.allCases.map(\.rawValue) }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func invalid(_ key: CodingKeys, _ message: String) -> DecodingError {
            DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: message)
        }
        let providerName = try container.decode(String.self, forKey: .provider)
        guard let provider = OAuth2Settings.Provider(rawValue: providerName) else {
            throw invalid(.provider, "\"\(providerName)\" is not one of microsoft, google, custom")
        }
        let clientID = try container.decode(String.self, forKey: .clientID)
        guard !clientID.isEmpty else { throw invalid(.clientID, "must not be empty (the application id of your app registration; see docs/oauth2.md)") }
        var secret: OAuth2Settings.ClientSecret?
        if let value = try container.decodeIfPresent(String.self, forKey: .clientSecret) { secret = .value(value) }
        if let path = try container.decodeIfPresent(String.self, forKey: .clientSecretFile) {
            guard secret == nil else { throw invalid(.clientSecretFile, "set client_secret or client_secret_file, not both") }
            secret = .file(path)  // made absolute by the caller, which knows the file
        }
        let tenant = try container.decodeIfPresent(String.self, forKey: .tenant)
        if tenant != nil, provider != .microsoft { throw invalid(.tenant, "only used with provider = \"microsoft\"") }
        if let tenant, tenant.isEmpty || !tenant.allSatisfy({ $0.isLetter || $0.isNumber || "-.".contains($0) }) {
            throw invalid(.tenant, "\"\(tenant)\" is not common, organizations, a tenant id or a domain")
        }
        var flow: OAuth2Settings.Flow?
        if let name = try container.decodeIfPresent(String.self, forKey: .flow) {
            guard let value = OAuth2Settings.Flow(rawValue: name) else { throw invalid(.flow, "\"\(name)\" is not one of device, loopback") }
            flow = value
        }
        let scopes = try container.decodeIfPresent([String].self, forKey: .scopes)
        if let scopes, scopes.isEmpty { throw invalid(.scopes, "must not be empty") }
        let settings = OAuth2Settings(
            provider: provider, clientID: clientID, clientSecret: secret, tenant: tenant, flow: flow, scopes: scopes,
            deviceAuthorizationURL: try container.decodeIfPresent(String.self, forKey: .deviceAuthorizationURL),
            authorizationURL: try container.decodeIfPresent(String.self, forKey: .authorizationURL),
            tokenURL: try container.decodeIfPresent(String.self, forKey: .tokenURL))
        for (key, url) in [(CodingKeys.deviceAuthorizationURL, settings.deviceAuthorizationURL), (.authorizationURL, settings.authorizationURL),
                           (.tokenURL, settings.tokenURL)] {
            guard let url, container.contains(key) || provider != .custom else { continue }
            if !OAuth2Settings.isAcceptableEndpoint(url) {
                throw invalid(key, "\"\(url)\" must be https:// (plain http:// only to 127.0.0.1 or localhost)")
            }
        }
        if settings.tokenURL.isEmpty { throw invalid(.tokenURL, "provider = \"custom\" needs token_url") }
        switch settings.flow {
        case .device where settings.deviceAuthorizationURL == nil:
            throw invalid(.deviceAuthorizationURL, "flow = \"device\" with provider = \"custom\" needs device_authorization_url")
        case .loopback where settings.authorizationURL == nil:
            throw invalid(.authorizationURL, "flow = \"loopback\" with provider = \"custom\" needs authorization_url")
        case .device where provider == .google && settings.scopes.contains("https://mail.google.com/"):
            throw invalid(.flow, "Google does not allow the Gmail scope in the device flow; use flow = \"loopback\" (the default)")
        default:
            break
        }
        self.settings = settings
    }
}
