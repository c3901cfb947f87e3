import Foundation

/// Runs a blocking call (a C client library waiting on the network) on a thread of its own and awaits its
/// result, so that it never holds one of Swift concurrency's few cooperative threads while it waits.
func onDedicatedThread<Result: Sendable>(
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
