import MessageBus
import Synchronization

/// The bounded queue between async callers and a connection's owner thread.
///
/// Callers append and signal the owner's eventfd; when the queue holds `capacity` messages they wait (without
/// blocking a thread) until the owner takes what is queued. The owner takes everything at once, so a batch costs
/// one lock and one wake-up, never one per message.
final class CommandQueue: Sendable {
    private struct State {
        var commands: [ConnectionCommand] = []
        var queuedWeight = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var closedError: MessageBusError?
        /// Whether the owner thread is in (or about to enter) `poll` and must be signalled to see a new command.
        var ownerIsSleeping = false
    }

    private let state = Mutex(State())
    private let capacity: Int
    let wakeup: Wakeup

    init(capacity: Int, wakeup: Wakeup) {
        self.capacity = max(1, capacity)
        self.wakeup = wakeup
    }

    /// Hands `command` to the owner thread, waiting while the queue is full. Fails the command at once when the
    /// queue is closed.
    ///
    /// - Parameters:
    ///   - command: The command.
    ///   - wakesOwner: Whether a sleeping owner thread must be woken for it. `false` leaves it for the owner's next
    ///     wake-up (socket data, another command, or its periodic check while deliveries are unsettled), so that
    ///     settlements go out together.
    func submit(_ command: ConnectionCommand, wakesOwner: Bool = true) async {
        let weight = command.weight
        while true {
            enum Step { case queued(mustSignal: Bool), closed(MessageBusError), full }
            let step: Step = self.state.withLock { state in
                if let error = state.closedError { return .closed(error) }
                guard state.queuedWeight == 0 || state.queuedWeight + weight <= self.capacity else { return .full }
                state.commands.append(command)
                state.queuedWeight += weight
                guard wakesOwner, state.ownerIsSleeping else { return .queued(mustSignal: false) }
                state.ownerIsSleeping = false
                return .queued(mustSignal: true)
            }
            switch step {
            case .queued(let mustSignal):
                // An owner that is awake takes the command before it sleeps again (see `prepareToSleep`); only
                // a sleeping one needs the pipe, and only once.
                if mustSignal { self.wakeup.signal() }
                return
            case .closed(let error):
                command.fail(error)
                return
            case .full:
                await withCheckedContinuation { continuation in
                    let mustRetry = self.state.withLock { state in
                        if state.closedError != nil || state.queuedWeight + weight <= self.capacity { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if mustRetry { continuation.resume() }
                }
            }
        }
    }

    /// Takes every queued command (owner thread) and lets waiting callers retry.
    /// Called by the owner thread before `poll`: `false` when a command is already queued (so it must not sleep);
    /// otherwise the next submit signals the wake-up pipe.
    func prepareToSleep() -> Bool {
        self.state.withLock { state in
            if !state.commands.isEmpty { return false }
            state.ownerIsSleeping = true
            return true
        }
    }

    /// Called by the owner thread after `poll`: submits no longer need to signal.
    func ownerWokeUp() {
        self.state.withLock { $0.ownerIsSleeping = false }
    }

    func takeAll() -> [ConnectionCommand] {
        let (commands, waiters) = self.state.withLock { state in
            let taken = (state.commands, state.waiters)
            state.commands.removeAll(keepingCapacity: true)
            state.waiters.removeAll()
            state.queuedWeight = 0
            return taken
        }
        for waiter in waiters { waiter.resume() }
        return commands
    }

    /// Refuses every later command with `error` and returns those still queued.
    func close(with error: MessageBusError) -> [ConnectionCommand] {
        let (commands, waiters) = self.state.withLock { state in
            state.closedError = error
            let taken = (state.commands, state.waiters)
            state.commands.removeAll()
            state.waiters.removeAll()
            state.queuedWeight = 0
            return taken
        }
        for waiter in waiters { waiter.resume() }
        return commands
    }
}
