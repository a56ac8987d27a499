import Foundation
import Testing
import KithHarvest

/// One case of `Tests/Corpus`: a raw header block and what extraction must make of it.
struct CorpusCase: Sendable, CustomTestStringConvertible {
    struct Expected: Decodable, Sendable {
        var direction: String
        var automated: Bool
        var correspondents: [Entry]?
        var correspondentCount: Int?
        var firstCorrespondents: [Entry]?
        var lastCorrespondents: [Entry]?

        enum CodingKeys: String, CodingKey {
            case direction, automated, correspondents
            case correspondentCount = "correspondent_count"
            case firstCorrespondents = "first_correspondents"
            case lastCorrespondents = "last_correspondents"
        }
    }

    struct Entry: Codable, Equatable, Sendable, CustomStringConvertible {
        var email: String
        var name: String?
        var role: String
        var description: String { "\(role):\(email)(\(name ?? "-"))" }
    }

    struct Description: Decodable, Sendable {
        var why: String
        var me: [String]
        var expected: Expected
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    /// `category/name`, relative to the corpus root, without extension.
    var name: String
    var testDescription: String { name }

    var headerPath: String { Self.root.appendingPathComponent(name + ".eml").path }

    func description() throws -> Description {
        let data = try Data(contentsOf: Self.root.appendingPathComponent(name + ".json"))
        return try JSONDecoder().decode(Description.self, from: data)
    }

    static var all: [CorpusCase] {
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var names: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".eml") { names.append(String(path.dropLast(4))) }
        }
        return names.sorted().map(CorpusCase.init)
    }

    /// Checks one extraction result, in the shape `kith parse-headers` prints, against the expectation.
    func check(direction: String, automated: Bool, correspondents: [Entry], expected: Expected) {
        #expect(direction == expected.direction, "\(name): direction")
        #expect(automated == expected.automated, "\(name): automated")
        if let all = expected.correspondents {
            #expect(correspondents == all, "\(name): correspondents")
        } else {
            #expect(correspondents.count == expected.correspondentCount, "\(name): correspondent count")
            #expect(Array(correspondents.prefix(3)) == expected.firstCorrespondents, "\(name): first correspondents")
            #expect(Array(correspondents.suffix(3)) == expected.lastCorrespondents, "\(name): last correspondents")
        }
    }
}

/// The extraction corpus: RFC 5322 Appendix A, RFC 2047 section 8, CPython's email test messages and kith's traps.
@Suite struct CorpusTests {
    @Test(arguments: CorpusCase.all)
    func extractionMatchesTheCorpus(_ corpusCase: CorpusCase) throws {
        let description = try corpusCase.description()
        #expect(!description.why.isEmpty, "\(corpusCase.name) must say why it is a trap")
        let bytes = try #require(FileManager.default.contents(atPath: corpusCase.headerPath))
        let message = MessageExtractor(ownerAddresses: description.me).extract(headerBytes: [UInt8](bytes))
        let entries = message.correspondents.map { CorpusCase.Entry(email: $0.email, name: $0.name, role: $0.role.rawValue) }
        corpusCase.check(direction: message.direction.rawValue, automated: message.automated, correspondents: entries,
                         expected: description.expected)
    }

    @Test func corpusCoversEveryCategory() {
        let cases = CorpusCase.all
        #expect(cases.count >= 150)
        let categories = Dictionary(grouping: cases) { $0.name.split(separator: "/")[0] }.mapValues(\.count)
        #expect(categories["rfc5322-appendix-a", default: 0] >= 10)
        #expect(categories["rfc2047-section8", default: 0] >= 10)
        #expect(categories["cpython", default: 0] >= 40)
        #expect(categories["traps", default: 0] >= 80)
    }

    /// The same corpus through the command a user runs: one `kith parse-headers` per owner set.
    @Test func parseHeadersCommandMatchesTheCorpus() throws {
        try #require(FileManager.default.isExecutableFile(atPath: kithBinary), "build the kith product first")
        var groups: [[String]: [CorpusCase]] = [:]
        var expectations: [String: (CorpusCase, CorpusCase.Expected)] = [:]
        for corpusCase in CorpusCase.all {
            let description = try corpusCase.description()
            groups[description.me, default: []].append(corpusCase)
            expectations[corpusCase.headerPath] = (corpusCase, description.expected)
        }
        struct Line: Decodable {
            var file: String
            var direction: String
            var automated: Bool
            var correspondents: [CorpusCase.Entry]
        }
        var seen = 0
        for (owners, cases) in groups {
            let result = try kith(["parse-headers"] + owners.flatMap { ["--me", $0] } + cases.map(\.headerPath))
            #expect(result.status == 0, "\(result.errors)")
            for line in result.output.split(separator: "\n") {
                let parsed = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
                let (corpusCase, expected) = try #require(expectations[parsed.file])
                corpusCase.check(direction: parsed.direction, automated: parsed.automated, correspondents: parsed.correspondents,
                                 expected: expected)
                seen += 1
            }
        }
        #expect(seen == expectations.count)
    }
}
