package import MessageBus

/// Opens a bus with `open`, runs `body` with it and closes it, awaiting the close, also when `body` throws: a test
/// never leaves a connection, a consumer or a background thread running into the next test, as an unawaited
/// `defer { Task { try? await bus.close() } }` did.
///
/// When `body` throws, that error is rethrown and a failing close is ignored (the body's failure is the one to
/// report); when `body` returns, a failing close fails the test.
///
/// - Parameters:
///   - open: Opens the bus (a concrete type, so that `body` can use its backend-specific calls).
///   - body: The test's work with the bus.
/// - Returns: What `body` returns.
package func withTestBus<Bus: MessageBus, Result>(
    open: () async throws -> Bus, _ body: (Bus) async throws -> Result
) async throws -> Result {
    try await withClosing(open: open, close: { try await $0.close() }, body)
}

/// ``withTestBus(open:_:)`` for a bus known only as `any MessageBus` (opened from a URL).
package func withTestBus<Result>(
    open: () async throws -> any MessageBus, _ body: (any MessageBus) async throws -> Result
) async throws -> Result {
    try await withClosing(open: open, close: { try await $0.close() }, body)
}

private func withClosing<Bus, Result>(
    open: () async throws -> Bus, close: (Bus) async throws -> Void, _ body: (Bus) async throws -> Result
) async throws -> Result {
    let bus = try await open()
    let result: Result
    do {
        result = try await body(bus)
    } catch {
        try? await close(bus)
        throw error
    }
    try await close(bus)
    return result
}
