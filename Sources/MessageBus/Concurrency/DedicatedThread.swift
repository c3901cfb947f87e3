import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs blocking work (a C client call that waits on the network) on threads of its own, never on one of
/// Swift concurrency's few cooperative threads: single calls on the reused ``BlockingCallThreads``, loops that
/// live as long as a client on a new thread each. Shared by the backends and their tests.
///
/// The library's thread names are `mb-` and what the thread does, within 15 bytes: Linux keeps a thread's name in
/// 16 bytes with the terminator and refuses a longer one, and the thread would then show in `top -H`, `perf` and
/// `/proc` under the name of the thread that started it. A longer name is cut to fit.
package enum DedicatedThread {
    /// The longest thread name Linux accepts, in bytes.
    package static let maximumNameLength = 15

    /// Runs `body` on a blocking-call thread and returns its result.
    ///
    /// Honours cancellation: a cancelled task throws `CancellationError` at once, while `body` (which a thread
    /// cannot be interrupted in) runs to its end on its own thread and its result is dropped. Use it only for work
    /// that may be abandoned that way (a lookup, a topic creation); work whose end someone must wait for uses
    /// ``runToCompletion(_:_:)``.
    package static func run<Result: Sendable>(
        _ name: String,
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        let done = AsyncOneShot<Result>()
        self.perform(name, { Swift.Result { try body() } }, then: { done.fulfill($0) })
        return try await done.value
    }

    /// Runs `body` on a blocking-call thread and returns its result, waiting for it even when the task is
    /// cancelled: for work that must finish before the caller goes on (a transactional call, closing a client).
    package static func runToCompletion<Result: Sendable>(
        _ name: String,
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            self.perform(name, { Swift.Result { try body() } }, then: { continuation.resume(with: $0) })
        }
    }

    /// Runs `body` on a blocking-call thread and returns its result; for work that cannot fail, which is waited for
    /// even when the task is cancelled (closing and destroying clients).
    package static func run<Result: Sendable>(_ name: String, _ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            self.perform(name, body, then: { continuation.resume(returning: $0) })
        }
    }

    /// Starts `body` on a blocking-call thread and returns at once: for one call nobody waits for (destroying a
    /// client). The thread carries `name` while it runs `body`.
    package static func perform(_ name: String, _ body: @escaping @Sendable () -> Void) {
        self.perform(name, body, then: { _ in })
    }

    /// Runs `body` on a blocking-call thread named `name` meanwhile, then `deliver` with its result once the thread
    /// is free for the caller's next call.
    private static func perform<Result: Sendable>(
        _ name: String, _ body: @escaping @Sendable () -> Result, then deliver: @escaping @Sendable (Result) -> Void
    ) {
        BlockingCallThreads.shared.submit(
            {
                Self.nameCurrentThread(name)
                defer { Self.nameCurrentThread(BlockingCallThreads.threadName) }
                return body()
            }, then: deliver)
    }

    /// Starts `body` on a new thread and returns at once: for a loop that lives as long as its client (a consumer
    /// or poll thread), which would hold a reused thread for good.
    package static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        Thread {
            Self.nameCurrentThread(name)
            body()
        }.start()
    }

    /// Names the calling thread for the system, cut to fit. Through pthreads rather than Foundation's `Thread.name`,
    /// which passes a name on only once `start()` has recorded the new thread, so that a name set as the thread
    /// begins could be lost (seen in a test under load), and which drops a name set before `start()`.
    package static func nameCurrentThread(_ name: String) {
        #if canImport(Glibc)
        guard let setName = Self.setThreadName else { return }
        _ = setName(pthread_self(), Self.systemName(name))
        #elseif canImport(Darwin)
        _ = pthread_setname_np(Self.systemName(name))
        #endif
    }

    #if canImport(Glibc)
    /// glibc's `pthread_setname_np`, which Swift's Glibc module leaves out (a GNU extension), looked up once.
    private static let setThreadName: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_setname_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
    }()
    #endif

    /// `name` cut to the longest prefix of whole characters that Linux keeps.
    package static func systemName(_ name: String) -> String {
        var length = 0
        return String(name.prefix { character in
            length += character.utf8.count
            return length <= Self.maximumNameLength
        })
    }
}
