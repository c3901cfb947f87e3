package import MessageBus
import Synchronization

/// Cancels an operation while it waits and measures how it ends, for the cancellation suites of every backend.
package enum CancellationProbe {
    /// How a cancelled operation ended.
    package struct Outcome<Value: Sendable>: Sendable {
        /// Whether the operation was still running when it was cancelled; a probe of an operation that had
        /// already finished proves nothing.
        package var wasRunningAtCancel: Bool
        /// From the cancel to the operation's end.
        package var elapsed: Duration
        /// What the operation returned or threw.
        package var result: Result<Value, any Error>

        /// Whether it threw `CancellationError`.
        package var threwCancellation: Bool {
            if case .failure(let error) = self.result { return error is CancellationError }
            return false
        }

        /// Whether it was still running when cancelled and ended within ``CancellationProbe/promptly``.
        package var endedPromptly: Bool { self.wasRunningAtCancel && self.elapsed < CancellationProbe.promptly }

        /// Whether it was still running when cancelled and threw `CancellationError` within
        /// ``CancellationProbe/promptly``: what a cancelled call that cannot complete must do.
        package var threwCancellationPromptly: Bool { self.endedPromptly && self.threwCancellation }

        /// Whether it returned or threw `CancellationError`.
        package var returnedOrCancelled: Bool { CancellationProbe.returnedOrCancelled(self.result) }
    }

    /// Starts `operation` in a task, cancels that task after `delay` (by which time it must be waiting on
    /// something that cannot complete) and waits for it to end.
    package static func cancel<Value: Sendable>(
        after delay: Duration, _ operation: @escaping @Sendable () async throws -> Value
    ) async -> Outcome<Value> {
        let finished = Atomic(false)
        let task = Task {
            defer { finished.store(true, ordering: .releasing) }
            return try await operation()
        }
        try? await Task.sleep(for: delay)
        let wasRunning = !finished.load(ordering: .acquiring)
        let cancelled = ContinuousClock.now
        task.cancel()
        let result = await task.result
        return Outcome(wasRunningAtCancel: wasRunning, elapsed: ContinuousClock.now - cancelled, result: result)
    }

    /// What a cancelled receive did, and what the subscription received after it.
    package struct ReceiveCheck: Sendable {
        /// The cancelled receive.
        package var outcome: Outcome<[Delivery]>
        /// The texts of the deliveries received (and acknowledged) after one message was published.
        package var receivedAfter: [String?]
    }

    /// Cancels a `receive` waiting on an idle `subscription`, then publishes one message (text `after`) to
    /// `destination` and receives it: a cancelled receive must end promptly with nothing, and lose nothing.
    package static func cancelReceive(
        on bus: any MessageBus, subscription: Subscription, destination: String, timeout: Duration = .seconds(20)
    ) async throws -> ReceiveCheck {
        let outcome = await self.cancel(after: .milliseconds(300)) { try await subscription.receive(max: 10) }
        try await bus.publish(Message(text: "after"), to: destination)
        let batch = try await subscription.receive(max: 10, timeout: timeout)
        try await batch.ackAll()
        return ReceiveCheck(outcome: outcome, receivedAfter: batch.map(\.message.text))
    }

    /// What `body` returned or threw.
    package static func result<Value>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// Whether `result` is a return or a `CancellationError`: the two ways a cancelled call may end.
    package static func returnedOrCancelled<Value>(_ result: Result<Value, any Error>) -> Bool {
        switch result {
        case .success: true
        case .failure(let error): error is CancellationError
        }
    }

    /// How quickly a cancelled call must end.
    package static let promptly = Duration.seconds(10)
}
