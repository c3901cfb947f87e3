import MessageBus
import Synchronization

/// Confirms what the bridge's lanes sent to the target, one ``/MessageBus/MessageBus/flush()`` at a time.
///
/// A flush waits for everything sent so far and throws only the *first* failure since the previous flush, so two
/// lanes flushing at once could each miss the other's failure. Flushes are therefore chained one after another, and
/// once one failed every later one throws that failure too: no lane acknowledges a source delivery after a send
/// to the target may have been lost.
final class TargetConfirmation: Sendable {
    private struct State {
        var previous: Task<Void, any Error>?
        var failure: (any Error)?
    }

    private let target: any MessageBus
    private let state = Mutex(State())

    init(target: any MessageBus) {
        self.target = target
    }

    /// Returns once every message sent to the target before this call is confirmed by the broker.
    func confirmSent() async throws {
        let task: Task<Void, any Error> = self.state.withLock { state in
            if let failure = state.failure { return Task { throw failure } }
            let previous = state.previous
            let task = Task { [target] in
                // A failure is passed down the chain, whoever awaits it first.
                if case .failure(let error)? = await previous?.result { throw error }
                try await target.flush()
            }
            state.previous = task
            return task
        }
        do {
            try await task.value
        } catch {
            self.state.withLock { state in state.failure = state.failure ?? error }
            throw error
        }
    }
}
