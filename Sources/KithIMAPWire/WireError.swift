/// A violation of the IMAP response grammar (RFC 9051 section 9) or of a configured limit.
///
/// Wire errors are never retried on the same connection: the byte stream can no longer be trusted.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A response line grew past `ResponseParser.Options.maxLineLength` without a line end.
    case lineTooLong(limit: Int)
    /// A literal announced more bytes than `ResponseParser.Options.maxLiteralSize`.
    case literalTooLarge(announced: UInt64, limit: Int)
    /// Parenthesised lists nested deeper than `ResponseParser.Options.maxNestingDepth`.
    case nestingTooDeep(limit: Int)
    /// Bytes that do not form a response; `excerpt` shows where.
    case malformed(reason: String, excerpt: String)

    public var description: String {
        switch self {
        case .lineTooLong(let limit): "response line longer than \(limit) bytes"
        case .literalTooLarge(let announced, let limit): "literal of \(announced) bytes exceeds the limit of \(limit)"
        case .nestingTooDeep(let limit): "lists nested deeper than \(limit)"
        case .malformed(let reason, let excerpt): "malformed response (\(reason)) near \"\(excerpt)\""
        }
    }
}
