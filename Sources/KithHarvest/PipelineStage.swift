import Foundation
import Synchronization

/// One stage of the harvest's pipeline on its own thread, run in order: the network thread reads and
/// parses replies, the extraction stage turns a finished range's headers into messages, the commit stage
/// writes them to SQLite, so the three overlap.
///
/// At most `depth` chunks wait, which bounds memory; the first failure is kept and stops later work.
final class PipelineStage: Sendable {
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore
    private let failure = Mutex<(any Error)?>(nil)
    private let busy = Mutex<Double>(0)

    /// CPU seconds this stage's work has taken so far.
    var cpuSeconds: Double { busy.withLock { $0 } }

    init(label: String, depth: Int = 2) {
        queue = DispatchQueue(label: label)
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
            let start = Self.threadCPUSeconds()
            defer { busy.withLock { $0 += Self.threadCPUSeconds() - start } }
            do { try work() } catch { failure.withLock { $0 = error } }
        }
    }

    /// CPU seconds the calling thread has used.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Waits for everything queued; throws the first failure.
    func drain() throws {
        queue.sync {}
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
