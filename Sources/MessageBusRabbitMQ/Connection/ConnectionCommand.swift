import MessageBus

/// Work the async side hands to a connection's owner thread.
enum ConnectionCommand: Sendable {
    /// Publishes a batch with confirms.
    case publish(PublishRequest)
    /// Completes once every batch handed over before it is confirmed, with the first `send` failure since the
    /// last flush.
    case flush(@Sendable (Result<Void, MessageBusError>) -> Void)
    /// Declares a subscription's topology and starts its consumer.
    case subscribe(SubscribeRequest)
    /// Acknowledges, requeues or discards deliveries of one subscription.
    case settle(SettleRequest)
    /// Ends a subscription: its channel closes, so the broker requeues what it had not settled.
    case cancel(subscriptionID: UInt64, completion: @Sendable () -> Void)
    /// Answers once the broker answered a request.
    case readiness(@Sendable (Result<Void, MessageBusError>) -> Void)
    /// Drains confirms until the deadline, ends every subscription and closes the connection.
    case close(deadline: ContinuousClock.Instant, completion: @Sendable (Result<Void, MessageBusError>) -> Void)

    /// How many messages the command carries, for the queue's bound.
    var weight: Int {
        if case .publish(let request) = self { return request.messages.count }
        return 1
    }

    /// Fails the command's caller without running it (the bus is closed or the connection gave up).
    func fail(_ error: MessageBusError) {
        switch self {
        case .publish(let request): request.finish(.failure(error))
        case .flush(let completion), .readiness(let completion): completion(.failure(error))
        case .subscribe(let request): request.completion(.failure(error))
        case .settle(let request): request.completion(.failure(error))
        case .cancel(_, let completion): completion()
        case .close(_, let completion): completion(.success(()))
        }
    }
}

/// What the owner thread needs to subscribe.
struct SubscribeRequest: Sendable {
    let subscriptionID: UInt64
    let destination: String
    /// `nil` for a broadcast subscription.
    let group: String?
    let deadLetterExchange: String
    let prefetch: Int
    let inbox: RabbitMQInbox
    let completion: @Sendable (Result<Void, MessageBusError>) -> Void
}

/// Deliveries of one subscription to settle, by their AMQP tags on the channel generation they arrived on.
struct SettleRequest: Sendable {
    enum Outcome: Sendable {
        case ack
        case requeue
        case discard
    }

    let subscriptionID: UInt64
    let generation: Int
    let amqpTags: [UInt64]
    let outcome: Outcome
    let completion: @Sendable (Result<Void, MessageBusError>) -> Void
}
