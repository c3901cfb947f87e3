import MessageBus

/// Runs a blocking C call of a test helper on a thread of its own; see `DedicatedThread`.
package func onDedicatedThread<Value: Sendable>(
    _ name: String,
    _ body: @escaping @Sendable () throws -> Value
) async throws -> Value {
    try await DedicatedThread.run(name, body)
}
