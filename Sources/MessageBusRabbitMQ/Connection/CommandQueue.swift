import MessageBus
import Synchronization

/// The bounded queue between async callers and a connection's owner thread.
///
/// Two lanes. Publishes, requests and flushes keep their order in the publish lane, which holds at most
/// `capacity` messages: a caller waits (without blocking a thread) until the owner takes them, and the owner takes
/// them only when it can write them (its confirm window has room), so a fast `send` loop is held back here instead
/// of piling up in the owner. Every other command (settlements, subscribes, topology, close) goes to the control
/// lane, which the owner empties on every turn, so none of them waits behind a full confirm window. Each of those
/// is awaited by its caller or, for settlements, bounded by the prefetch of the deliveries it settles.
///
/// Callers signal the owner's wake-up pipe only while it sleeps, once per sleep; the owner takes everything
/// queued at once, so a batch costs one lock and at most one wake-up, never one per message.
final class CommandQueue: Sendable {
    private struct State {
        var control: [ConnectionCommand] = []
        var publishes: [ConnectionCommand] = []
        var queuedWeight = 0
        /// Callers waiting for room in the publish lane.
        var waiters = AsyncWaiters<Void>()
        var closedError: MessageBusError?
        /// Whether the owner thread is in (or about to enter) `poll` and must be signalled to see a new command.
        var ownerIsSleeping = false
        /// Whether the sleeping owner would take a publish now; one that waits for confirms (its window full) is
        /// woken by them, not by every publish queued meanwhile.
        var ownerTakesPublishes = true
    }

    private let state = Mutex(State())
    private let capacity: Int
    let wakeup: Wakeup

    init(capacity: Int, wakeup: Wakeup) {
        self.capacity = max(1, capacity)
        self.wakeup = wakeup
    }

    /// Hands `command` to the owner thread, waiting while the publish lane is full. Fails the command at once
    /// when the queue is closed.
    ///
    /// A caller whose task is cancelled while it waits for room leaves at once without queueing the command
    /// (and without completing it): nothing of it reaches the owner. Once queued, a command is the owner's, which
    /// completes it whether or not its caller still waits.
    ///
    /// - Parameters:
    ///   - command: The command.
    ///   - wakesOwner: Whether a sleeping owner thread must be woken for it. `false` leaves it for the owner's next
    ///     wake-up (socket data, another command, or its periodic check while deliveries are unsettled), so that
    ///     settlements go out together.
    /// - Returns: `false` when the task was cancelled while the command waited for room, which was then not queued.
    ///   Control commands never wait, so they are always queued (or failed).
    @discardableResult
    func submit(_ command: ConnectionCommand, wakesOwner: Bool = true) async -> Bool {
        let weight = command.weight
        while true {
            switch self.enqueue(command, weight: weight, wakesOwner: wakesOwner) {
            case .queued:
                return true
            case .full:
                do {
                    try await AsyncWaiters.wait { id, continuation in
                        let now: Result<Void, any Error>? = self.state.withLock { state in
                            // The same rule as the first look: a command heavier than the lane waits only for
                            // it to empty.
                            if state.closedError != nil || self.hasRoom(for: weight, in: state) {
                                return .success(())
                            }
                            return state.waiters.park(id, continuation)
                        }
                        if let now { continuation.resume(with: now) }
                    } unpark: { id in
                        self.state.withLock { $0.waiters.remove(id) }
                    }
                } catch {
                    return false
                }
            }
        }
    }

    /// Hands a control-lane `command` (a settlement, say) to the owner thread without suspending: that lane never
    /// waits for room. Fails the command at once when the queue is closed.
    func submitControl(_ command: ConnectionCommand, wakesOwner: Bool) {
        assert(!command.isPublishLane, "a publish-lane command may have to wait for room")
        _ = self.enqueue(command, weight: command.weight, wakesOwner: wakesOwner)
    }

    private enum Enqueued { case queued, full }

    /// Queues `command` when its lane has room (the control lane always has), signalling a sleeping owner if
    /// `wakesOwner`; fails it when the queue is closed.
    private func enqueue(_ command: ConnectionCommand, weight: Int, wakesOwner: Bool) -> Enqueued {
        enum Step { case queued(mustSignal: Bool), closed(MessageBusError), full }
        let isPublishLane = command.isPublishLane
        let step: Step = self.state.withLock { state in
            if let error = state.closedError { return .closed(error) }
            if isPublishLane {
                guard self.hasRoom(for: weight, in: state) else { return .full }
                state.publishes.append(command)
                state.queuedWeight += weight
            } else {
                state.control.append(command)
            }
            guard wakesOwner, state.ownerIsSleeping, !isPublishLane || state.ownerTakesPublishes else {
                return .queued(mustSignal: false)
            }
            state.ownerIsSleeping = false
            return .queued(mustSignal: true)
        }
        switch step {
        case .queued(let mustSignal):
            // An owner that is awake takes the command before it sleeps again (see `prepareToSleep`); only a
            // sleeping one needs the pipe, and only once.
            if mustSignal { self.wakeup.signal() }
            return .queued
        case .closed(let error):
            command.fail(error)
            return .queued
        case .full:
            return .full
        }
    }

    /// Whether the publish lane takes a command of `weight` now: when it fits, or when the lane is empty (a batch
    /// larger than the lane goes alone).
    private func hasRoom(for weight: Int, in state: State) -> Bool {
        state.queuedWeight == 0 || state.queuedWeight + weight <= self.capacity
    }

    /// Called by the owner thread before `poll`: `false` when there is work it can do at once (so it must not
    /// sleep); otherwise the next submit signals the wake-up pipe.
    ///
    /// - Parameter takesPublishes: Whether the owner would take queued publishes now (its confirm window has room
    ///   and nothing taken earlier is still waiting).
    func prepareToSleep(takesPublishes: Bool) -> Bool {
        self.state.withLock { state in
            if !state.control.isEmpty || (takesPublishes && !state.publishes.isEmpty) { return false }
            state.ownerIsSleeping = true
            state.ownerTakesPublishes = takesPublishes
            return true
        }
    }

    /// Called by the owner thread after `poll`: submits no longer need to signal.
    func ownerWokeUp() {
        self.state.withLock { $0.ownerIsSleeping = false }
    }

    /// Takes every queued control command (owner thread).
    func takeControl() -> [ConnectionCommand] {
        self.state.withLock { state in
            defer { state.control.removeAll(keepingCapacity: true) }
            return state.control
        }
    }

    /// Takes every queued publish, request and flush, in order (owner thread), and lets waiting callers retry.
    func takePublishes() -> [ConnectionCommand] {
        let (commands, waiters) = self.state.withLock { state in
            let taken = (state.publishes, state.waiters.removeAll())
            state.publishes.removeAll(keepingCapacity: true)
            state.queuedWeight = 0
            return taken
        }
        waiters.resumeAll(with: .success(()))
        return commands
    }

    /// Whether a publish or request waits in the publish lane.
    var hasQueuedPublishes: Bool {
        self.state.withLock { state in state.publishes.contains { $0.isPublish } }
    }

    /// Takes out of the publish lane the publishes and requests whose deadline passed before `now` (owner thread),
    /// so that a timed-out request leaves the queue and its room goes to the callers waiting for it.
    ///
    /// Publishes wait in submission order, and every deadline is its submission time plus the same timeout, so
    /// they are looked at from the oldest until the first that has time left.
    func removeExpiredPublishes(now: ContinuousClock.Instant) -> [PublishRequest] {
        let (expired, waiters) = self.state.withLock { state in
            let expired = Array(state.publishes.lazy.compactMap(\.publishRequest).prefix { $0.deadline < now })
            guard !expired.isEmpty else { return (expired, AsyncWaiters<Void>()) }
            let identifiers = Set(expired.map(ObjectIdentifier.init))
            state.publishes.removeAll { command in
                guard let request = command.publishRequest, identifiers.contains(ObjectIdentifier(request)) else {
                    return false
                }
                state.queuedWeight -= command.weight
                return true
            }
            return (expired, state.waiters.removeAll())
        }
        waiters.resumeAll(with: .success(()))
        return expired
    }

    /// Refuses every later command with `error` and returns those still queued.
    func close(with error: MessageBusError) -> [ConnectionCommand] {
        let (commands, waiters) = self.state.withLock { state in
            state.closedError = error
            let taken = (state.control + state.publishes, state.waiters.removeAll())
            state.control.removeAll()
            state.publishes.removeAll()
            state.queuedWeight = 0
            return taken
        }
        waiters.resumeAll(with: .success(()))
        return commands
    }
}
