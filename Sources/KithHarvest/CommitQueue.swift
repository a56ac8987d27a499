import Foundation
import Synchronization

/// Runs archive commits on their own thread, in order, so the network read and header extraction of
/// the next chunk overlap the SQLite work of the previous one.
///
/// At most `depth` chunks wait, which bounds memory; the first failure is kept and stops later work.
final class CommitQueue: Sendable {
    private let queue = DispatchQueue(label: "kith.commit")
    private let slots: DispatchSemaphore
    private let failure = Mutex<(any Error)?>(nil)

    init(depth: Int = 2) {
        slots = DispatchSemaphore(value: depth)
    }

    /// Queues `work`; throws the failure of earlier work instead, if there was one.
    func submit(_ work: @escaping @Sendable () throws -> Void) throws {
        slots.wait()
        if let error = failure.withLock({ $0 }) {
            slots.signal()
            throw error
        }
        queue.async { [self] in
            defer { slots.signal() }
            guard failure.withLock({ $0 == nil }) else { return }
            do { try work() } catch { failure.withLock { $0 = error } }
        }
    }

    /// Waits for everything queued; throws the first failure.
    func drain() throws {
        queue.sync {}
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
