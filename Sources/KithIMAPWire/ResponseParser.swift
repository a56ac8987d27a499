/// A streaming IMAP response parser: feed it bytes as they arrive, take complete responses out.
///
/// Framing follows RFC 9051 section 4.3: a response ends at a CRLF that is not followed by literal
/// data, so a line ending in `{n}` (or `~{n}`, `{n+}`) owes `n` more bytes before the response goes on.
/// A recv boundary may fall anywhere, including between CR and LF or inside a literal: the parser
/// keeps what it has and answers `nil` ("need more") until a whole response is buffered.
public struct ResponseParser: Sendable {
    /// Bounds that keep a hostile or broken server from exhausting memory.
    public struct Options: Sendable {
        /// Longest line, without its literals, before `WireError.lineTooLong`.
        public var maxLineLength: Int
        /// Largest literal a response may announce before `WireError.literalTooLarge`.
        public var maxLiteralSize: Int
        /// Deepest nesting of parenthesised lists before `WireError.nestingTooDeep`.
        public var maxNestingDepth: Int

        public init(maxLineLength: Int = 64 * 1024, maxLiteralSize: Int = 64 * 1024 * 1024, maxNestingDepth: Int = 32) {
            self.maxLineLength = maxLineLength
            self.maxLiteralSize = maxLiteralSize
            self.maxNestingDepth = maxNestingDepth
        }
    }

    public let options: Options
    private var buffer: [UInt8] = []
    /// Where the response being framed begins.
    private var frameStart = 0
    /// Where the current line segment (after the last literal) begins.
    private var segmentStart = 0
    /// Where to continue looking for a line end.
    private var scanFrom = 0
    /// When a literal is owed: the index just past its last byte.
    private var literalEnd: Int?

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Bytes received but not yet returned as responses.
    public var bufferedByteCount: Int { buffer.count - frameStart }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes from raw memory.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete response, or nil when more bytes are needed.
    public mutating func next() throws(WireError) -> Response? {
        while true {
            if let end = literalEnd {
                guard buffer.count >= end else { return nil }
                literalEnd = nil
                segmentStart = end
                scanFrom = end
            }
            guard let lineFeed = firstLineFeed(from: scanFrom) else {
                scanFrom = buffer.count
                if buffer.count - segmentStart > options.maxLineLength {
                    throw .lineTooLong(limit: options.maxLineLength)
                }
                return nil
            }
            if lineFeed - segmentStart > options.maxLineLength {
                throw .lineTooLong(limit: options.maxLineLength)
            }
            if let announced = literalAnnouncement(endingAt: lineFeed) {
                guard announced <= UInt64(options.maxLiteralSize) else {
                    throw .literalTooLarge(announced: announced, limit: options.maxLiteralSize)
                }
                literalEnd = lineFeed + 1 + Int(announced)
                continue
            }
            let frame = buffer[frameStart...lineFeed]
            var decoder = ResponseDecoder(frame: frame, maxNestingDepth: options.maxNestingDepth)
            let response = try decoder.decode()
            frameStart = lineFeed + 1
            segmentStart = frameStart
            scanFrom = frameStart
            compactIfWorthIt()
            return response
        }
    }

    private func firstLineFeed(from index: Int) -> Int? {
        buffer.withUnsafeBufferPointer { bytes in
            var position = index
            while position < bytes.count {
                if bytes[position] == 0x0A { return position }
                position += 1
            }
            return nil
        }
    }

    /// The size announced by `{n}`, `{n+}` or `~{n}` at the end of the line ending at `lineFeed`.
    private func literalAnnouncement(endingAt lineFeed: Int) -> UInt64? {
        var position = lineFeed - 1
        if position >= segmentStart, buffer[position] == 0x0D { position -= 1 }
        guard position > segmentStart, buffer[position] == UInt8(ascii: "}") else { return nil }
        position -= 1
        if buffer[position] == UInt8(ascii: "+") { position -= 1 }
        var value: UInt64 = 0
        var multiplier: UInt64 = 1
        var digits = 0
        while position >= segmentStart, buffer[position] >= 0x30, buffer[position] <= 0x39 {
            guard digits < 19 else { return UInt64.max }
            value += UInt64(buffer[position] - 0x30) * multiplier
            multiplier = multiplier &* 10
            digits += 1
            position -= 1
        }
        guard digits > 0, position >= segmentStart, buffer[position] == UInt8(ascii: "{") else { return nil }
        return value
    }

    private mutating func compactIfWorthIt() {
        guard frameStart > 0 else { return }
        if frameStart == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
        } else if frameStart >= 1 << 16, frameStart * 2 >= buffer.count {
            buffer.removeSubrange(0..<frameStart)
        } else {
            return
        }
        frameStart = 0
        segmentStart = 0
        scanFrom = 0
    }
}
