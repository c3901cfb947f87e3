import MessageBus
import Synchronization

/// A result produced once on the owner thread and awaited once by the caller, which may start waiting before or
/// after it is produced.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case pending(CheckedContinuation<Value, any Error>?)
        case done(Result<Value, MessageBusError>)
    }

    private let state = Mutex(State.pending(nil))

    func fulfill(_ result: Result<Value, MessageBusError>) {
        let continuation = self.state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard case .pending(let continuation) = state else { return nil }
            state = .done(result)
            return continuation
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = self.state.withLock { state -> Result<Value, MessageBusError>? in
                    switch state {
                    case .done(let result): return result
                    case .pending:
                        state = .pending(continuation)
                        return nil
                    }
                }
                if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
            }
        }
    }
}
