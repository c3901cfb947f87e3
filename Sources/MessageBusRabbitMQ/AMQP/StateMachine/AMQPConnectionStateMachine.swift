import MessageBus

/// The decisions of one RabbitMQ connection, without any I/O. Publishing: the confirm window, flush numbering,
/// returns matched to their publishes, deadlines, publishes held while the window is full, the connection blocked or
/// recovering, and the republishing of unconfirmed messages after a reconnection. Consuming (``consumers``, an
/// ``AMQPConsumerStateMachine``): channels per subscription, unsettled tags and how settlements are written, and
/// what channel errors, cancellations and a lost connection do to each subscription.
///
/// ``AMQPConnectionOwner`` feeds it events (commands taken from the ``CommandQueue``, `basic.ack`/`basic.nack`,
/// `basic.return`, a lost or reopened connection, a closed publish channel, blocked/unblocked, the current instant)
/// and performs the ``Action``s it returns (write frames, resume callers, emit connection events). It never calls
/// rabbitmq-c and never reads a clock (time comes in as an argument), so every decision is unit-tested without a
/// broker.
///
/// Actions are appended to a buffer the caller owns and empties after performing them, so that the hot path
/// allocates nothing per event: one `.write` per publish batch, one `.complete` per finished batch.
///
/// The machine records on each ``PublishRequest`` how many of its messages await a confirm and whether it is
/// finished (``PublishRequest/markFinished()``): a request is its identity, and the machine is the only writer of
/// that bookkeeping (on the owner thread); resuming the request's caller is left to the executor. The owner reads
/// the state below (its extensions span several files, so it is not `private(set)`) and changes it only through
/// the mutating methods.
struct AMQPConnectionStateMachine {
    /// What the machine needs to know of the connection's configuration.
    struct Settings {
        /// The most messages awaiting a confirm at once.
        var confirmWindow: Int
        /// How long a publish or flush may take; only used in error messages and for a flush's deadline.
        var publishTimeout: Duration
        /// Whether a lost connection is recovered (otherwise the owner terminates).
        var recoversConnection: Bool
    }

    /// One message written to the broker and awaiting its confirm.
    struct PendingConfirm {
        /// The publish channel's delivery tag, renumbered from 1 on each channel opening.
        var sequence: UInt64
        /// The message's place among every message ever written, which recovery keeps (flushes wait on it).
        let ordinal: UInt64
        let request: PublishRequest
        let index: Int
    }

    /// A flush waiting for every message written before it to be confirmed.
    struct PendingFlush {
        /// The ordinal of the last message written before the flush (0 when none was).
        let ordinal: UInt64
        let deadline: ContinuousClock.Instant
        let completion: @Sendable (Result<Void, MessageBusError>) -> Void
    }

    /// A close waiting for the publishes to be confirmed (or for its deadline).
    struct PendingClose {
        let deadline: ContinuousClock.Instant
        let completion: @Sendable (Result<Void, MessageBusError>) -> Void
    }

    let settings: Settings
    /// The subscriptions' channels, unsettled deliveries and stream positions.
    var consumers = AMQPConsumerStateMachine()
    /// Messages written and not yet confirmed, oldest first.
    var window = FIFO<PendingConfirm>()
    var nextSequence: UInt64 = 1
    /// Numbers every message ever written, across connections, so flushes survive recovery's renumbering.
    var nextOrdinal: UInt64 = 1
    /// Confirms that arrived for a message not at the head of the window, by sequence number.
    var outOfOrderConfirms: [UInt64: Bool] = [:]
    /// Mandatory messages the broker returned as unroutable, by sequence number, awaiting their confirm.
    var returns: [UInt64: MessageBusError] = [:]
    var flushes: [PendingFlush] = []
    /// The first failure of a `send` (a publish nobody awaits) since the last flush, which reports it.
    var sendFailure: MessageBusError?
    /// Publishes, requests and flushes taken from the queue's publish lane and not yet run, in order: they wait
    /// here while the window is full, the connection blocked or recovering. The lane is taken again only once this
    /// is empty (``takesPublishes``), so it never holds more than one lane's worth of the bounded queue.
    var publishLane = FIFO<ConnectionCommand>()
    /// Control commands taken and not yet run: those that came during a recovery, or were left when the connection
    /// failed half-way through a turn.
    var heldControl: [ConnectionCommand] = []
    /// Whether a session with open fixed channels exists (false while recovering).
    var isConnected = false
    /// Set by `connection.blocked`: the broker reads nothing, so publishing would block the owner thread.
    var isBlocked = false
    var closing: PendingClose?
    var isTerminated = false
    /// When the deadlines of publishes still in the ``CommandQueue`` were last looked at.
    var lastQueuedDeadlineCheck: ContinuousClock.Instant?

    init(settings: Settings) {
        self.settings = settings
    }

    // MARK: What the owner asks

    /// Whether a message can be written now: connected, not blocked, and the confirm window has room.
    var canPublish: Bool {
        self.isConnected && !self.isBlocked && self.window.count < self.settings.confirmWindow
    }

    /// Whether the owner should take the queue's publish lane now: what it took before has all run, and it could
    /// write. Otherwise the lane stays in the bounded queue, where callers wait.
    var takesPublishes: Bool { self.publishLane.isEmpty && self.canPublish }

    /// Whether a command can run at once (so the owner must not sleep).
    var hasRunnableCommand: Bool {
        if !self.heldControl.isEmpty { return true }
        guard let next = self.publishLane.first else { return false }
        return !next.isPublish || self.canPublish
    }

    /// Messages written and not yet confirmed.
    var unconfirmedCount: Int { self.window.count }

    var isClosing: Bool { self.closing != nil }

    // MARK: Commands

    /// Takes the publish lane the owner took from the queue (only when ``takesPublishes``).
    mutating func enqueue(_ commands: [ConnectionCommand]) {
        self.publishLane.append(contentsOf: commands)
    }

    /// The next publish or request to run, or `nil` when the lane is empty or its head must wait. Flushes on the
    /// way are registered here (they wait for the messages written before them).
    mutating func nextPublish(now: ContinuousClock.Instant, into actions: inout [Action]) -> ConnectionCommand? {
        while let next = self.publishLane.first {
            if case .flush(let completion) = next {
                _ = self.publishLane.popFirst()
                self.flush(completion, now: now, into: &actions)
                continue
            }
            guard self.canPublish else { return nil }
            return self.publishLane.popFirst()
        }
        return nil
    }

    /// Registers a flush of every message written so far; it completes once they are confirmed.
    mutating func flush(
        _ completion: @escaping @Sendable (Result<Void, MessageBusError>) -> Void, now: ContinuousClock.Instant,
        into actions: inout [Action]
    ) {
        self.flushes.append(PendingFlush(
            ordinal: self.nextOrdinal - 1, deadline: now + self.settings.publishTimeout, completion: completion))
        self.completeFlushes(into: &actions)
    }

    /// Puts back at the front of the lane a publish that could not start (the connection failed before its messages
    /// entered the window), so that it runs first on the next connection or expires with its deadline.
    mutating func requeueAtFront(_ command: ConnectionCommand) {
        self.publishLane.prepend(command)
    }

    /// Whether a command cut short by the loss of the connection runs again once the connection is recovered: a
    /// subscribe or a repeatable topology request (see ``TopologyOperation/isRepeatable``), only when the connection
    /// will be recovered, and while the command has attempts left. It is then held with the other control
    /// commands; otherwise its caller is to get the error.
    mutating func retryAfterRecovery(_ command: ConnectionCommand) -> Bool {
        guard self.settings.recoversConnection else { return false }
        let limit = ConnectionCommand.attemptsAcrossConnections
        switch command {
        case .subscribe(var request) where request.attempt < limit:
            request.attempt += 1
            self.heldControl.append(.subscribe(request))
        case .topology(var request) where request.operation.isRepeatable && request.attempt < limit:
            request.attempt += 1
            self.heldControl.append(.topology(request))
        default:
            return false
        }
        return true
    }

    /// Whether `request` should be written: it is not finished (timed out while it waited) and a connection exists.
    func shouldWrite(_ request: PublishRequest) -> Bool {
        !request.isFinished && self.isConnected
    }

    /// Admits every message of `request` into the confirm window and asks for them to be written.
    ///
    /// The messages enter the window before they are written: if the connection drops half-way, recovery
    /// republishes the whole remainder from the window and nothing is silently dropped.
    mutating func admit(_ request: PublishRequest, into actions: inout [Action]) {
        for index in request.messages.indices {
            self.window.append(PendingConfirm(
                sequence: self.nextSequence, ordinal: self.nextOrdinal, request: request, index: index))
            self.nextSequence += 1
            self.nextOrdinal += 1
        }
        actions.append(.write(request))
    }

    /// Fails `request` (unless it already finished); a failed `send` is remembered for the next flush.
    mutating func fail(_ request: PublishRequest, _ error: MessageBusError, into actions: inout [Action]) {
        guard request.markFinished() else { return }
        actions.append(.complete(request, .failure(error)))
        if !request.isAwaited, self.sendFailure == nil { self.sendFailure = error }
    }

    /// Keeps control commands to run later (they came during a recovery, or the connection failed mid-turn). A
    /// close among them takes effect at once.
    mutating func hold(_ commands: some Sequence<ConnectionCommand>) {
        for command in commands {
            if case .close(let deadline, let completion) = command {
                self.close(deadline: deadline, completion: completion)
            } else {
                self.heldControl.append(command)
            }
        }
    }

    /// Hands back the held control commands, to run now.
    mutating func takeHeldControl() -> [ConnectionCommand] {
        defer { self.heldControl.removeAll() }
        return self.heldControl
    }

    /// Starts closing: the close completes once every publish is confirmed, or at `deadline`.
    mutating func close(
        deadline: ContinuousClock.Instant, completion: @escaping @Sendable (Result<Void, MessageBusError>) -> Void
    ) {
        self.closing = PendingClose(deadline: deadline, completion: completion)
    }
}
