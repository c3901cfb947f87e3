import Synchronization

/// One suspended receiver, woken by new deliveries, the end of its subscription, a timeout or cancellation,
/// whichever comes first. Waking before it parks makes the park return at once.
final class Waiter: Sendable {
    private enum State {
        case idle
        case parked(CheckedContinuation<Void, Never>)
        case woken
    }

    private let state = Mutex(State.idle)

    func park() async {
        await withCheckedContinuation { continuation in
            let resumeNow = self.state.withLock { state in
                if case .woken = state { return true }
                state = .parked(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func wake() {
        let continuation = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = .woken }
            if case .parked(let continuation) = state { return continuation }
            return nil
        }
        continuation?.resume()
    }
}
