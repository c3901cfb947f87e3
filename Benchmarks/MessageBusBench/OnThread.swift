import Foundation

/// Runs a blocking C loop on a thread of its own and returns its result to async code, so the raw baselines
/// never hold a thread of the cooperative pool either.
func onDedicatedThread<Value: Sendable>(
    _ name: String, _ body: @escaping @Sendable () throws -> Value
) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Swift.Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
