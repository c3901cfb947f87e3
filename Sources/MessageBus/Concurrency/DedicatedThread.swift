import Foundation

/// Runs blocking work (a C client call that waits on the network) on threads of their own, never on one of
/// Swift concurrency's few cooperative threads. Shared by the backends and their tests.
package enum DedicatedThread {
    /// Runs `body` on a new thread and returns its result.
    package static func run<Result: Sendable>(
        _ name: String,
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Swift.Result { try body() })
            }
            thread.name = name
            thread.start()
        }
    }

    /// Runs `body` on a new thread and returns its result; for work that cannot fail.
    package static func run<Result: Sendable>(_ name: String, _ body: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.start()
        }
    }

    /// Starts `body` on a new thread and returns at once; `body` runs until it returns.
    package static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}
