import Foundation
import TOMLKit

/// A configuration table decoded declaratively: its `CodingKeys` are the keys it allows. Decoding never
/// stops at the first bad value: every problem is kept with its key, and reported at that key's line.
protocol ConfigTable: Decodable {
    static var allowedKeys: [String] { get }
    /// What was wrong with the values, key by key (nil: the table as a whole).
    var problems: [FieldProblem] { get }
}

extension ConfigTable {
    static func keys<Key: CodingKey & CaseIterable>(_: Key.Type) -> [String] { Key.allCases.map(\.stringValue) }
}

/// One bad value in a table.
struct FieldProblem {
    var key: String?
    var message: String
    /// A value of the wrong type: the message gets ", found <TOML type>".
    var wrongType = false
}

/// Reads a table's values one by one through its keyed container, collecting what cannot be read.
struct FieldReader<Key: CodingKey> {
    let container: KeyedDecodingContainer<Key>
    var problems: [FieldProblem] = []

    init(_ decoder: Decoder, keys: Key.Type) throws {
        container = try decoder.container(keyedBy: Key.self)
    }

    /// The value at `key`; nil when absent, or after noting that it is not `expected`.
    mutating func read<T: Decodable>(_ key: Key, _ expected: String, as type: T.Type = T.self) -> T? {
        guard container.contains(key) else { return nil }
        if let value = try? container.decode(T.self, forKey: key) { return value }
        problems.append(FieldProblem(key: key.stringValue, message: "expected \(expected)", wrongType: true))
        return nil
    }

    mutating func problem(_ key: Key?, _ message: String) {
        problems.append(FieldProblem(key: key?.stringValue, message: message))
    }

    func contains(_ key: Key) -> Bool { container.contains(key) }
}

/// Where a table sits, for messages about it.
struct TablePlace {
    var file: String
    var lines: SourceLines
    /// The section as SourceLines knows it, such as `account.oauth2`.
    var path: String
    var accountIndex: Int = -1
    /// How keys are named in messages, such as `oauth2.`; empty for an account's own keys.
    var keyPrefix: String
    var account: String?

    func location(_ key: String?) -> SourceLocation {
        SourceLocation(file: file, line: lines.line(path: path, accountIndex: accountIndex, key: key))
    }

    func problem(_ key: String?, _ message: String) -> ConfigProblem {
        let name: String? = key.map { keyPrefix + $0 } ?? (keyPrefix.isEmpty ? nil : String(keyPrefix.dropLast()))
        return ConfigProblem(location: location(key), account: account, key: name, message: message)
    }
}

extension ConfigDecoder {
    /// Decodes `table` as `T`; unknown keys and every problem `T` found become problems at their lines.
    /// Returns nil when the table could not be decoded at all; otherwise the caller checks `problems`.
    mutating func decodeTable<T: ConfigTable>(_ type: T.Type, from table: TOMLTable, at place: TablePlace) -> T? {
        for key in table.keys.sorted() where !T.allowedKeys.contains(key) { problems.append(place.problem(key, "unknown key")) }
        do {
            let decoded = try TOMLDecoder().decode(T.self, from: table)
            for field in decoded.problems {
                let found = field.wrongType ? field.key.flatMap { table[$0] }.map { ", found \($0.type)" } ?? "" : ""
                problems.append(place.problem(field.key, field.message + found))
            }
            return decoded
        } catch {
            problems.append(place.problem(nil, "\(error)"))
            return nil
        }
    }
}
