/// A failure opening, reading or writing the archive; committed data is never touched by the failure.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "archive \(path): \(message)" }
}
