import DequeModule
import Foundation

/// The threads that make blocking C calls (a metadata lookup, a topic creation, a transactional call, a client's
/// destroy) for async code: reused from one call to the next, never one of Swift concurrency's cooperative threads.
///
/// A call never waits for another: when every thread is busy a new one starts, because a blocking call may wait
/// for another one (a destroy waits for the lookups on its handle to leave), and a bounded pool could deadlock on
/// that. How many threads exist is bounded by how many calls run at once; a thread idle for its idle lifetime
/// ends, so a burst leaves nothing behind.
package final class BlockingCallThreads: @unchecked Sendable {
    /// The threads every backend shares.
    package static let shared = BlockingCallThreads()

    // Guarded by `condition`: the calls no thread has taken yet, the threads not running a call (waiting for one
    // or starting), and all threads.
    private let condition = NSCondition()
    /// Each call returns what delivers its result, to run once the thread counts as free again.
    private var pending = Deque<@Sendable () -> @Sendable () -> Void>()
    private var available = 0
    private var threads = 0

    /// How long, in seconds, a thread waits for its next call before it ends.
    private let idleSeconds: Double

    /// - Parameter idleLifetime: How long a thread waits for its next call before it ends: long enough for the
    ///   calls of one operation (a lookup, then a creation, then a lookup) to share a thread, short enough that the
    ///   threads of a burst are gone a moment later.
    package init(idleLifetime: Duration = .seconds(1)) {
        let (seconds, attoseconds) = idleLifetime.components
        self.idleSeconds = Double(seconds) + Double(attoseconds) / 1e18
    }

    /// How many threads exist now, running a call or waiting for one.
    package var threadCount: Int {
        self.condition.lock()
        defer { self.condition.unlock() }
        return self.threads
    }

    /// The name of a thread between calls; a call names it after itself while it runs.
    static let threadName = "mb-blocking"

    /// Runs `call` on one of the threads and returns at once; `call` runs until it returns.
    package func submit(_ call: @escaping @Sendable () -> Void) {
        self.submit(call, then: { _ in })
    }

    /// Runs `call` on one of the threads and returns at once; then hands its result to `deliver`, on the same thread.
    ///
    /// The thread counts as free again before `deliver` runs: a caller that `deliver` resumes and that submits its
    /// next call straight away finds this thread rather than starting another. `deliver` must not block (it
    /// resumes a waiter).
    package func submit<Result: Sendable>(
        _ call: @escaping @Sendable () -> Result, then deliver: @escaping @Sendable (Result) -> Void
    ) {
        self.condition.lock()
        self.pending.append {
            let result = call()
            return { deliver(result) }
        }
        // Each available thread takes one call; a call beyond them gets a thread of its own.
        let startsThread = self.pending.count > self.available
        if startsThread {
            self.available += 1
            self.threads += 1
        } else {
            self.condition.signal()
        }
        self.condition.unlock()
        if startsThread {
            Thread { [self] in
                DedicatedThread.nameCurrentThread(Self.threadName)
                self.work()
            }.start()
        }
    }

    private func work() {
        self.condition.lock()
        while true {
            if let call = self.pending.popFirst() {
                self.available -= 1
                self.condition.unlock()
                let deliver = call()
                self.condition.lock()
                self.available += 1
                self.condition.unlock()
                deliver()
                self.condition.lock()
                continue
            }
            let signalled = self.condition.wait(until: Date(timeIntervalSinceNow: self.idleSeconds))
            if !signalled, self.pending.isEmpty {
                self.available -= 1
                self.threads -= 1
                self.condition.unlock()
                return
            }
        }
    }
}
