import Foundation

/// The relationship strength score; docs/strength.md gives the formula, the constants and why.
public enum RelationshipStrength {
    /// Days after which the recency term has fallen halfway towards its floor.
    public static let halfLifeDays = 365.0
    /// The share of the score an old relationship keeps however long ago it was.
    public static let recencyFloor = 0.2
    /// The share a relationship in one direction only keeps.
    public static let oneWayFloor = 0.25
    /// Weights of how directly a message involved the person.
    public static let ccWeight = 0.5
    public static let bystanderWeight = 0.25
    /// Scale, so that everyday scores read as whole numbers.
    public static let scale = 10.0

    /// How a person figured in one message.
    public struct Contact: Sendable {
        /// from, to, cc or bcc.
        public var role: String
        /// The owner wrote the message.
        public var sent: Bool
        public var automated: Bool
        /// People in To, Cc and Bcc, the owner excluded.
        public var recipients: Int
        public var date: Int64?

        public init(role: String, sent: Bool, automated: Bool, recipients: Int, date: Int64?) {
            self.role = role
            self.sent = sent
            self.automated = automated
            self.recipients = recipients
            self.date = date
        }

        /// Directness: a message to one person counts 1, to many counts 1/sqrt(n); Cc and Bcc half;
        /// being a fellow recipient of someone else's message a quarter. Automated mail counts nothing.
        public var weight: Double {
            if automated { return 0 }
            if sent {
                guard role != "from" else { return 0 }
                return (role == "to" ? 1 : ccWeight) / Double(max(1, recipients)).squareRoot()
            }
            if role == "from" { return 1 / Double(recipients + 1).squareRoot() }
            return bystanderWeight / Double(recipients + 1).squareRoot()
        }

        var isFromOwner: Bool { sent && role != "from" }
        var isToOwner: Bool { !sent && role == "from" }
    }

    /// The weighted sums the score is made of.
    public struct Evidence: Sendable, Equatable {
        /// Directness-weighted messages from the owner to the person.
        public var outgoing = 0.0
        /// Directness-weighted messages from the person to the owner.
        public var incoming = 0.0
        /// Messages both were recipients of.
        public var shared = 0.0
        /// The latest message with a non-zero weight.
        public var last: Int64?

        public init() {}

        public mutating func add(_ contact: Contact) {
            let weight = contact.weight
            guard weight > 0 else { return }
            if contact.isFromOwner { outgoing += weight } else if contact.isToOwner { incoming += weight } else { shared += weight }
            if let date = contact.date { last = max(last ?? date, date) }
        }
    }

    /// `scale × frequency × recency × reciprocity`, where frequency = log2(1 + all weighted messages),
    /// recency = floor + (1 - floor) × 2^(-days since last / half-life), and reciprocity =
    /// oneWayFloor + (1 - oneWayFloor) × sqrt(min(in, out) / max(in, out)).
    public static func score(_ evidence: Evidence, now: Int64) -> Double {
        let total = evidence.outgoing + evidence.incoming + evidence.shared
        guard total > 0 else { return 0 }
        let frequency = log2(1 + total)
        let days = evidence.last.map { max(0, Double(now - $0) / 86_400) } ?? halfLifeDays * 10
        let recency = recencyFloor + (1 - recencyFloor) * pow(2, -days / halfLifeDays)
        let larger = max(evidence.outgoing, evidence.incoming)
        let balance = larger > 0 ? min(evidence.outgoing, evidence.incoming) / larger : 0
        let reciprocity = oneWayFloor + (1 - oneWayFloor) * balance.squareRoot()
        return (scale * frequency * recency * reciprocity * 10).rounded() / 10
    }
}
