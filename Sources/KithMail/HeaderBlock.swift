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
        var current: (name: String, value: [UInt8])?
        var bytes = Array(raw)
        // A UTF-8 byte order mark would otherwise hide the first field's name.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        for line in Self.lines(of: bytes) {
            if line.isEmpty { break }
            if let first = line.first, first == 0x20 || first == 0x09 {
                current?.value.append(contentsOf: line)
                continue
            }
            if let field = current { fields.append(Field(name: field.name, value: Self.trimmed(field.value))) }
            current = nil
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { continue }
            var name = line[line.startIndex..<colon]
            // obs-optional (RFC 5322 section 4.5): whitespace may precede the colon ("From  : ...").
            while let last = name.last, last == 0x20 || last == 0x09 { name = name.dropLast() }
            guard !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { continue }
            current = (String(decoding: name, as: UTF8.self).lowercased(), Array(line[(colon + 1)...]))
        }
        if let field = current { fields.append(Field(name: field.name, value: Self.trimmed(field.value))) }
    }

    /// The values of every field called `name` (lowercase), in header order.
    public func values(_ name: String) -> [[UInt8]] {
        fields.lazy.filter { $0.name == name }.map(\.value)
    }

    /// The first value of `name`, if any.
    public func first(_ name: String) -> [UInt8]? {
        fields.first { $0.name == name }?.value
    }

    private static func lines(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                var end = index
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                result.append(bytes[start..<end])
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count { result.append(bytes[start...]) }
        return result
    }

    private static func trimmed(_ value: [UInt8]) -> [UInt8] {
        var slice = value[...]
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 || last == 0x0D { slice = slice.dropLast() }
        return Array(slice)
    }
}
