import MessageBus

/// Work the async side hands to a connection's owner thread.
enum ConnectionCommand: Sendable {
    /// Publishes a batch with confirms.
    case publish(PublishRequest)
    /// Publishes a request with direct reply-to and resumes its caller with the reply.
    case request(RPCRequest)
    /// Completes once every batch handed over before it is confirmed, with the first `send` failure since the
    /// last flush.
    case flush(@Sendable (Result<Void, MessageBusError>) -> Void)
    /// Declares a subscription's topology and starts its consumer.
    case subscribe(SubscribeRequest)
    /// Acknowledges, requeues or discards deliveries of one subscription; nobody waits for it.
    case settle(SettleRequest)
    /// Ends a subscription: its channel closes, so the broker requeues what it had not settled.
    case cancel(subscriptionID: UInt64, completion: @Sendable () -> Void)
    /// Declares, binds, inspects or deletes topology on the application's behalf.
    case topology(TopologyRequest)
    /// Takes one message from a queue (`basic.get`) on the polling channel of `poller`.
    case get(queue: String, poller: SubscribeRequest, @Sendable (Result<InboundDelivery?, MessageBusError>) -> Void)
    /// Answers once the broker answered a request.
    case readiness(@Sendable (Result<Void, MessageBusError>) -> Void)
    /// Drains confirms until the deadline, ends every subscription and closes the connection.
    case close(deadline: ContinuousClock.Instant, completion: @Sendable (Result<Void, MessageBusError>) -> Void)

    /// How many messages the command carries, for the queue's bound.
    var weight: Int {
        if case .publish(let request) = self { return request.messages.count }
        return 1
    }

    /// Whether the command publishes (and so waits while the confirm window is full).
    var isPublish: Bool {
        switch self {
        case .publish, .request: true
        default: false
        }
    }

    /// How many times in all a subscribe or a repeatable topology request is started when the connection is lost
    /// while it runs: it runs again on the recovered connection until then. A broker that cannot complete a
    /// declaration closes the whole connection (RabbitMQ answers a quorum queue whose Raft cluster does not form
    /// within its 5 s with `541 INTERNAL_ERROR`, which a second try usually passes), so failing at the first lost
    /// connection would make a busy broker's hiccup the application's error.
    static let attemptsAcrossConnections = 3

    /// Whether the command is a flush, which must stay behind the publishes submitted before it.
    var isFlush: Bool {
        if case .flush = self { return true }
        return false
    }

    /// Whether the command keeps its order among publishes (see ``CommandQueue``).
    var isPublishLane: Bool { self.isPublish || self.isFlush }

    /// The publish a publish or request carries.
    var publishRequest: PublishRequest? {
        switch self {
        case .publish(let request): request
        case .request(let request): request.publish
        default: nil
        }
    }

    /// Fails the command's caller without running it (the bus is closed or the connection gave up).
    func fail(_ error: MessageBusError) {
        switch self {
        case .publish(let request): request.finish(.failure(error))
        case .request(let request):
            // Only the caller: the publish's own completion reaches into the owner thread's state.
            request.completion(.failure(error))
        case .flush(let completion), .readiness(let completion): completion(.failure(error))
        case .topology(let request): request.completion(.failure(error))
        case .get(_, _, let completion): completion(.failure(error))
        case .subscribe(let request): request.completion(.failure(error))
        case .settle: break  // the broker gives the deliveries back when the connection goes
        case .cancel(_, let completion): completion()
        case .close(_, let completion): completion(.success(()))
        }
    }
}

/// What the owner thread needs to subscribe.
struct SubscribeRequest: Sendable {
    /// What a subscription consumes.
    enum Source: Sendable {
        /// A destination (topic exchange): the group's durable queue, or for `nil` a broadcast queue of its own
        /// (exclusive, auto-delete), named `queue` and bound with `#`. The dead-letter exchange is declared with it,
        /// and for a group the group's queue on it too, so that its dead letters are kept even before anyone reads
        /// them.
        case destination(String, group: String?, queue: String, deadLetterExchange: String)
        /// A queue that exists, consumed as it is, with consume arguments (such as `x-stream-offset`).
        case queue(String, arguments: AMQPArguments)
        /// No consumer: a channel for `basic.get` from any queue.
        case polling
    }

    let subscriptionID: UInt64
    let source: Source
    let prefetch: Int
    let inbox: RabbitMQInbox
    let completion: @Sendable (Result<Void, MessageBusError>) -> Void
    /// How many times the owner thread has started this subscribe (see
    /// ``ConnectionCommand/attemptsAcrossConnections``).
    var attempt = 1

    /// The subscription in words, for logs and errors.
    var summary: String {
        switch self.source {
        case .destination(let destination, let group, _, _):
            "'\(destination)'" + (group.map { " as group '\($0)'" } ?? "")
        case .queue(let queue, _):
            "queue '\(queue)'"
        case .polling:
            "basic.get polling"
        }
    }
}

/// A topology operation of the application and the caller waiting for its outcome.
struct TopologyRequest: Sendable {
    let operation: TopologyOperation
    let completion: @Sendable (Result<TopologyOutcome, MessageBusError>) -> Void
    /// How many times the owner thread has started this request (see
    /// ``ConnectionCommand/attemptsAcrossConnections``).
    var attempt = 1
}

/// Deliveries of one subscription to settle, by their AMQP tags on the channel opening they arrived on.
struct SettleRequest: Sendable {
    enum Outcome: Sendable {
        case ack
        case requeue
        case discard
    }

    let subscriptionID: UInt64
    let channelEpoch: Int
    var amqpTags: [UInt64]
    let outcome: Outcome

    /// `commands` with each run of consecutive settlements merged into one request per subscription, channel
    /// opening and outcome, in order of first appearance: settling one delivery at a time queues a request each,
    /// and merged they go to the broker as one `multiple` acknowledgement where their tags allow.
    static func coalescing(_ commands: [ConnectionCommand]) -> [ConnectionCommand] {
        var result: [ConnectionCommand] = []
        result.reserveCapacity(commands.count)
        var run: [SettleRequest] = []
        func endRun() {
            result.append(contentsOf: run.lazy.map { .settle($0) })
            run.removeAll(keepingCapacity: true)
        }
        for command in commands {
            guard case .settle(let request) = command else {
                endRun()
                result.append(command)
                continue
            }
            if let index = run.firstIndex(where: { $0.merges(with: request) }) {
                run[index].amqpTags.append(contentsOf: request.amqpTags)
            } else {
                run.append(request)
            }
        }
        endRun()
        return result
    }

    private func merges(with other: SettleRequest) -> Bool {
        self.subscriptionID == other.subscriptionID && self.channelEpoch == other.channelEpoch
            && self.outcome == other.outcome
    }
}
