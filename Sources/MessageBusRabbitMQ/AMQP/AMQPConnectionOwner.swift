internal import CMessageBusRabbitMQ
import Foundation
import Logging
import MessageBus

/// Owns one AMQP connection on a thread of its own.
///
/// rabbitmq-c connections are not thread-safe and their calls block, so every C call happens on this thread. It
/// multiplexes the channels (1 publishes with confirms, 2 declares topology, one per subscription), waits in
/// `poll` on the socket and on an eventfd that callers signal when they queue work (no busy spinning), and lets
/// rabbitmq-c send heartbeats while idle. Async callers reach it through a bounded ``CommandQueue``; results go
/// back through one completion per command (one per publish batch, never one per message).
///
/// Every mutable property below is touched by the owner thread only; that confinement is what makes the
/// `@unchecked Sendable` sound.
final class AMQPConnectionOwner: @unchecked Sendable {
    static let publishChannel: UInt16 = 1
    static let topologyChannel: UInt16 = 2
    /// The longest a settlement queued without a wake-up waits for the owner thread.
    static let settlementCheckInterval = Duration.milliseconds(20)

    let configuration: RabbitMQConfiguration
    let connectionName: String
    let logger: Logger
    let queue: CommandQueue
    let publishTimeout: Duration
    /// Connection events for the application (thread-safe; the owner thread only emits).
    let events = ConnectionEventBroadcaster()

    // MARK: Owner-thread state
    var session: AMQPSession?
    let publisher = AMQPPublisher()
    /// The decisions: confirm window, flushes, returns, deadlines, held publishes, recovery's republish; consumer
    /// channels, unsettled deliveries and settlements.
    var machine: AMQPConnectionStateMachine
    /// The actions the machine returned and ``performActions()`` has not performed yet (kept to reuse its storage).
    var actions: [AMQPConnectionStateMachine.Action] = []
    /// Exchanges this connection declared or found, so publishing declares a destination once per connection.
    var declaredExchanges = Set<String>()
    /// Topology the application and the subscriptions declared, declared again after a reconnection.
    var topology = RecordedTopology()
    /// The message being read from its frames on each consumer channel.
    var consumerAssemblies = ChannelTable<AMQPContentAssembly>()
    /// The acknowledgement frames the machine decided for a settlement (kept to reuse its storage).
    var settlementFrames: [AMQPConsumerStateMachine.SettlementFrame] = []
    /// The returned publish or RPC reply being read from its frames on the publish channel.
    var publishChannelAssembly: AMQPContentAssembly?
    var arrived: [ObjectIdentifier: (RabbitMQInbox, [InboundDelivery])] = [:]
    /// Whether this connection consumes direct reply-to on the publish channel.
    var isReplyConsumerStarted = false
    /// Requests waiting for their reply, by correlation id.
    var pendingReplies: [String: PendingReply] = [:]
    /// Whether the last `poll` found the socket readable: only then (or with bytes already buffered, or for the
    /// periodic heartbeat check) does reading frames touch the socket.
    var isSocketReadable = false
    /// When reading frames last gave rabbitmq-c the chance to send a due heartbeat and notice a silent broker.
    var lastSocketCheck = ContinuousClock.now
    /// Whether the owner gave up or closed (its thread ends).
    var isTerminated: Bool { self.machine.isTerminated }

    private init(
        configuration: RabbitMQConfiguration, connectionName: String, publishTimeout: Duration, logger: Logger
    ) throws {
        self.configuration = configuration
        self.connectionName = connectionName
        self.publishTimeout = publishTimeout
        self.logger = logger
        self.machine = AMQPConnectionStateMachine(settings: .init(
            confirmWindow: configuration.confirmWindow, publishTimeout: publishTimeout,
            recoversConnection: configuration.recovery.isEnabled))
        let wakeup = try Wakeup()
        self.queue = CommandQueue(capacity: max(configuration.confirmWindow, 1024), wakeup: wakeup)
    }

    /// Connects (trying every endpoint in order) on a new owner thread and returns once the connection is open.
    ///
    /// - Throws: the typed error of the last endpoint tried when none accepted the connection.
    static func start(
        configuration: RabbitMQConfiguration, connectionName: String, publishTimeout: Duration, logger: Logger
    ) async throws -> AMQPConnectionOwner {
        let owner: AMQPConnectionOwner
        do {
            owner = try AMQPConnectionOwner(
                configuration: configuration, connectionName: connectionName, publishTimeout: publishTimeout,
                logger: logger)
        } catch {
            throw MessageBusError(.brokerError, "cannot create the connection's wake-up descriptor: \(error)")
        }
        let ready = OneShot<Void>()
        DedicatedThread.start("mb-amqp") {
            owner.threadMain(ready: ready)
        }
        try await ready.value
        return owner
    }

    private func threadMain(ready: OneShot<Void>) {
        do {
            try self.connectToFirstAvailable()
        } catch {
            let failure = error as? MessageBusError ?? MessageBusError(.connectionFailed, "\(error)")
            self.terminate(with: failure)
            ready.fulfill(.failure(failure))
            return
        }
        ready.fulfill(.success(()))
        self.runLoop()
    }

    // MARK: The loop

    private func runLoop() {
        while !self.isTerminated {
            do {
                try self.runCommands()
                try self.readFrames()
                self.handOutArrived()
                self.expireDeadlines()
                if self.machine.isClosing { try self.progressClose() }
                if self.isTerminated { break }
                if !self.machine.hasRunnableCommand {
                    // Settlements are queued without waking this thread (see `CommandQueue.submit`); while any
                    // delivery is unsettled it looks for them at least this often.
                    let holdsUnsettled = self.machine.consumers.holdsUnsettledDeliveries
                    self.waitForActivity(maximum: holdsUnsettled ? Self.settlementCheckInterval : .milliseconds(250))
                }
            } catch {
                self.handOutArrived()
                self.connectionLost(error)
            }
        }
    }

    /// Sleeps in `poll` until the socket is readable, a caller signals, or `maximum` passes (to send heartbeats and
    /// expire deadlines).
    func waitForActivity(maximum: Duration = .milliseconds(250)) {
        var descriptors = [pollfd(fd: self.queue.wakeup.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        if let session = self.session {
            if amqp_frames_enqueued(session.state) != 0 || amqp_data_in_buffer(session.state) != 0 { return }
            descriptors.append(pollfd(fd: session.fileDescriptor, events: Int16(POLLIN), revents: 0))
        }
        // With a command already queued the owner does not sleep, but still looks at the socket (without waiting),
        // so that deliveries keep flowing while commands keep coming.
        let sleeps = self.queue.prepareToSleep(takesPublishes: self.machine.takesPublishes)
        // Rounded up, so that a wait of less than a millisecond does not spin.
        let milliseconds = sleeps ? Int32(clamping: maximum.wholeMilliseconds + 1) : 0
        _ = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        if sleeps { self.queue.ownerWokeUp() }
        if descriptors[0].revents != 0 { self.queue.wakeup.drain() }
        if descriptors.count > 1, descriptors[1].revents != 0 { self.isSocketReadable = true }
    }

    // MARK: Commands

    /// Runs the control commands, then the publish lane in order while the confirm window has room (and the
    /// connection is not blocked): a publish that must wait holds back only the publishes and flushes after it,
    /// whose order matters, while a close, an acknowledgement or a subscribe never waits behind it. The lane is
    /// taken from the queue only once what was taken before has run, so a caller publishing faster than the broker
    /// confirms waits in ``CommandQueue/submit(_:wakesOwner:)`` rather than growing this thread's memory.
    private func runCommands() throws {
        var control = (self.machine.takeHeldControl() + SettleRequest.coalescing(self.queue.takeControl()))[...]
        defer { self.machine.hold(control) }
        while let command = control.popFirst() { try self.run(command) }
        if self.machine.takesPublishes { self.machine.enqueue(self.queue.takePublishes()) }
        while let next = self.machine.nextPublish(now: .now, into: &self.actions) {
            try self.performActions()
            try self.run(next)
        }
        try self.performActions()
    }

    private func run(_ command: ConnectionCommand) throws {
        switch command {
        case .publish(let request):
            try self.publish(request)
        case .flush(let completion):
            self.machine.flush(completion, now: .now, into: &self.actions)
            try self.performActions()
        case .subscribe(let request):
            try self.subscribe(request)
        case .settle(let request):
            try self.settle(request)
        case .cancel(let subscriptionID, let completion):
            // Completed even when closing the channel fails (the connection is gone): the caller must not wait.
            defer { completion() }
            try self.cancelConsumer(subscriptionID)
        case .request(let request):
            try self.sendRequest(request)
        case .get(let queue, let poller, let completion):
            try self.get(from: queue, poller: poller, completion: completion)
        case .topology(let request):
            try self.runTopology(request)
        case .readiness(let completion):
            try self.checkReadiness(completion)
        case .close(let deadline, let completion):
            self.machine.close(deadline: deadline, completion: completion)
        }
    }

    func publish(_ request: PublishRequest) throws {
        guard self.machine.shouldWrite(request) else { return }
        do {
            try self.ensureExchange(request.exchange, channel: Self.topologyChannel)
        } catch AMQPFailure.channelClosed(let channel, let code, let text) {
            let failure = AMQPFailure.channelClosed(channel: channel, code: code, text: text)
            self.fail(request, failure.messageBusError("declaring exchange '\(request.exchange)'"))
            try self.reopenTopologyChannel()
            return
        } catch {
            // The connection failed before the messages entered the confirm window, so recovery would not
            // republish them: the request goes back to the front of the lane, to run on the new connection
            // (or to expire with its deadline). A request for a reply fails instead: its reply consumer is gone.
            if request.expectsReply {
                self.fail(request, MessageBusError(.connectionFailed, "the RabbitMQ connection was lost: \(error)"))
            } else {
                self.machine.requeueAtFront(.publish(request))
            }
            throw error
        }
        self.machine.admit(request, into: &self.actions)
        try self.performActions()
    }

    func fail(_ request: PublishRequest, _ error: MessageBusError) {
        self.machine.fail(request, error, into: &self.actions)
        // Failing only resumes callers: nothing to write, so nothing can throw.
        try? self.performActions()
    }

    func reopenTopologyChannel() throws {
        try self.session?.openChannel(Self.topologyChannel)
    }

    private func checkReadiness(_ completion: @Sendable (Result<Void, MessageBusError>) -> Void) throws {
        guard let session = self.session else {
            completion(.failure(MessageBusError(.connectionFailed, "RabbitMQ is not connected (recovering)")))
            return
        }
        do throws(AMQPFailure) {
            // A passive declare of a built-in exchange is a cheap request the broker must answer.
            try session.declareExchange(Self.topologyChannel, name: "amq.topic", type: "topic", durable: true, passive: true)
            completion(.success(()))
        } catch let failure {
            if case .channelClosed = failure { try self.reopenTopologyChannel() }
            completion(.failure(failure.messageBusError("readiness check on \(session.endpoint)")))
            if case .connectionLost = failure { throw failure }
        }
    }

    // MARK: Deadlines

    /// Fails the publishes, flushes and requests whose deadline passed (the machine's, the queue's and the
    /// replies').
    func expireDeadlines() {
        let now = ContinuousClock.now
        self.machine.expireDeadlines(now: now, into: &self.actions)
        // The lane still in the queue is looked at every 100 ms at most; what expired leaves it (and frees room).
        if self.machine.isQueueDeadlineCheckDue(now: now) {
            let expired = self.queue.removeExpiredPublishes(now: now)
            if !expired.isEmpty { self.machine.expireUnstarted(expired, into: &self.actions) }
        }
        try? self.performActions()
        self.expireReplies(now: now)
    }
}
