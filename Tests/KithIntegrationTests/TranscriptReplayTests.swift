import Foundation
import Testing
import KithConfig
import KithHarvest
import KithIMAPWire
import KithTestSupport

/// A real Dovecot transcript (everything the server sent during a harvest, recorded by the proxy) parses
/// to the same responses whole, byte by byte, and in random chunkings.
@Suite struct TranscriptReplayTests {
    @Test func recordedDovecotTranscriptParsesTheSameWhateverTheRecvBoundaries() throws {
        let account = try TestAccount(messages: 120, seed: 33)
        let recorder = try FaultProxy(upstreamPort: account.server.port, fault: .none)
        defer { recorder.stop() }
        var (acme, _, harvester) = try openHarvest(account)
        acme.url = "imap://127.0.0.1:\(recorder.port)"
        harvester.chunkSize = 17
        #expect(harvester.harvest(acme).error == nil)
        let transcript = recorder.recordedServerBytes
        #expect(transcript.count > 10_000)

        // libcurl consumed the greeting, CAPABILITY and login itself; the transcript kith parsed starts after them.
        let start = try #require(firstIndex(of: Array("k1 ".utf8), in: transcript).flatMap { tagged in
            lastIndex(of: Array("\r\n* CAPABILITY".utf8), in: Array(transcript[..<tagged])).map { $0 + 2 }
        })
        let kithPart = Array(transcript[start...])
        func parse(_ chunk: (Int) -> Int) throws -> [Response] {
            var parser = ResponseParser(options: .init(maxLiteralSize: 4 << 20))
            var responses: [Response] = []
            var offset = 0
            var step = 0
            while offset < kithPart.count {
                let size = min(max(1, chunk(step)), kithPart.count - offset)
                parser.append(kithPart[offset..<offset + size])
                offset += size
                step += 1
                while let response = try parser.next() { responses.append(response) }
            }
            return responses
        }
        let whole = try parse { _ in kithPart.count }
        // Header fetches only: the harvest first asks which UIDs exist (`UID FETCH a:b (UID)`).
        let fetches = whole.filter { if case .untagged(.fetch(_, let attributes)) = $0 { return !attributes.bodySections.isEmpty } else { return false } }
        #expect(fetches.count == account.mailbox.messages.filter { SampleMailbox.harvestedFolders.contains($0.folder) }.count)
        #expect(try parse { _ in 1 } == whole)
        var random = SeededGenerator(seed: 5)
        for round in 0..<20 {
            let sizes = (0..<kithPart.count).map { _ in Int(random.next() % UInt64(1 + round * 97)) + 1 }
            #expect(try parse { sizes[$0 % sizes.count] } == whole, "round \(round)")
        }
    }

    private func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    private func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).reversed().first { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
