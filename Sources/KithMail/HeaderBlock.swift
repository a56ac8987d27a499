/// A raw RFC 5322 header block split into unfolded fields (RFC 5322 section 2.2.3).
///
/// Values stay bytes: decoding to text happens per field, where the grammar is known.
public struct HeaderBlock: Sendable {
    /// One field: its name lowercased and its unfolded value without the leading space.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]
    }

    public private(set) var fields: [Field] = []

    /// Splits `raw`; lines without a colon (garbage, mbox `From ` lines) are skipped, never fatal.
    public init(_ raw: some Collection<UInt8>) {
        fields = raw.withContiguousStorageIfAvailable(Self.split) ?? Array(raw).withUnsafeBufferPointer(Self.split)
    }

    /// One pass over the lines: each field's value is copied once, continuation lines appended to it.
    private static func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Field] {
        var fields: [Field] = []
        var name: String?
        var value: [UInt8] = []
        func finish() {
            if let name { fields.append(Field(name: name, value: trimmed(value))) }
            name = nil
        }
        var index = 0
        // A UTF-8 byte order mark would otherwise hide the first field's name.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        while index < bytes.count {
            var newline = index
            while newline < bytes.count, bytes[newline] != 0x0A { newline += 1 }
            var end = newline
            if end > index, bytes[end - 1] == 0x0D { end -= 1 }
            let start = index
            index = newline + 1
            if end == start { break }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if line[0] == 0x20 || line[0] == 0x09 {
                if name != nil { value.append(contentsOf: line) }
                continue
            }
            finish()
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { continue }
            var nameEnd = colon
            // obs-optional (RFC 5322 section 4.5): whitespace may precede the colon ("From  : ...").
            while nameEnd > 0, line[nameEnd - 1] == 0x20 || line[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            let nameBytes = UnsafeBufferPointer(rebasing: line[..<nameEnd])
            guard !nameBytes.isEmpty, nameBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { continue }
            name = String(unsafeUninitializedCapacity: nameBytes.count) { buffer in
                for (position, byte) in nameBytes.enumerated() {
                    buffer[position] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                }
                return nameBytes.count
            }
            value = Array(line[(colon + 1)...])
        }
        finish()
        return fields
    }

    /// The values of every field called `name` (lowercase), in header order.
    public func values(_ name: String) -> [[UInt8]] {
        fields.lazy.filter { $0.name == name }.map(\.value)
    }

    /// The first value of `name`, if any.
    public func first(_ name: String) -> [UInt8]? {
        fields.first { $0.name == name }?.value
    }

    private static func trimmed(_ value: [UInt8]) -> [UInt8] {
        func isSpace(_ byte: UInt8?) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        // Most values need no trimming: keep them without a copy.
        guard isSpace(value.first) || isSpace(value.last) else { return value }
        var slice = value[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 || last == 0x0D { slice = slice.dropLast() }
        return Array(slice)
    }
}
