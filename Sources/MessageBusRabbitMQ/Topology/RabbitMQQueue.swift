import MessageBus

/// A queue to declare with ``RabbitMQMessageBus/declare(_:)-(RabbitMQQueue)``.
///
/// Every setting maps to a `queue.declare` flag or to the `x-` argument named on it. Declaring is idempotent;
/// declaring an existing queue with other settings fails with ``/MessageBus/MessageBusError/Code/invalidConfiguration``
/// (RabbitMQ's `PRECONDITION_FAILED`). A declared queue and its bindings are declared again after a connection
/// recovery (a server-named queue is not: its name dies with the connection).
public struct RabbitMQQueue: Sendable, Hashable {
    /// The queue name; empty asks the broker for a unique name, returned in ``RabbitMQQueueStatus/name``.
    public var name: String
    /// Classic, quorum or stream (`x-queue-type`).
    public var type: RabbitMQQueueType
    /// Whether the queue survives a broker restart (`durable`); quorum queues and streams must be durable.
    public var durable: Bool
    /// Whether only this connection may use the queue, which goes when the connection closes (`exclusive`).
    public var exclusive: Bool
    /// Whether RabbitMQ deletes the queue when its last consumer goes (`auto-delete`).
    public var autoDelete: Bool
    /// How long a message may wait in the queue before it expires (`x-message-ttl`, whole milliseconds); an expired
    /// message is dead-lettered when ``deadLetterExchange`` is set, dropped otherwise.
    public var messageTTL: Duration?
    /// How long the queue may go unused before RabbitMQ deletes it (`x-expires`, whole milliseconds).
    public var expires: Duration?
    /// The most messages the queue holds (`x-max-length`); ``overflow`` says what happens beyond it.
    public var maxLength: Int?
    /// The most payload bytes the queue holds (`x-max-length-bytes`); for a stream, its retention size.
    public var maxLengthBytes: Int?
    /// What a full queue does with the next message (`x-overflow`).
    public var overflow: RabbitMQOverflow?
    /// Where expired, rejected (without requeue), over-limit and too-often-delivered messages go
    /// (`x-dead-letter-exchange`).
    public var deadLetterExchange: String?
    /// The routing key dead-lettered messages get; their own key when `nil` (`x-dead-letter-routing-key`).
    public var deadLetterRoutingKey: String?
    /// Whether only one consumer at a time receives, the others standing by (`x-single-active-consumer`).
    public var singleActiveConsumer: Bool
    /// How many times a quorum queue delivers a message before dead-lettering (or dropping) it
    /// (`x-delivery-limit`).
    public var deliveryLimit: Int?
    /// The highest priority the queue orders by (`x-max-priority`, classic queues).
    public var maxPriority: Int?
    /// How long a stream keeps its messages (`x-max-age`, sent in whole seconds).
    public var maxAge: Duration?
    /// Further declare arguments.
    public var arguments: [String: RabbitMQArgumentValue]

    /// Describes a queue.
    ///
    /// - Parameters:
    ///   - name: The queue name; empty for a server-named queue.
    ///   - type: Classic, quorum or stream.
    ///   - durable: Whether it survives a broker restart.
    ///   - exclusive: Whether it belongs to this connection alone.
    ///   - autoDelete: Whether it goes with its last consumer.
    ///   - messageTTL: The per-queue message time to live.
    ///   - expires: How long the queue may stay unused.
    ///   - maxLength: The most messages it holds.
    ///   - maxLengthBytes: The most payload bytes it holds.
    ///   - overflow: What a full queue does.
    ///   - deadLetterExchange: Where dead-lettered messages go.
    ///   - deadLetterRoutingKey: The key dead-lettered messages get.
    ///   - singleActiveConsumer: Whether one consumer at a time receives.
    ///   - deliveryLimit: The quorum queue's delivery limit.
    ///   - maxPriority: The highest priority a classic queue orders by.
    ///   - maxAge: A stream's retention time.
    ///   - arguments: Further declare arguments.
    public init(
        _ name: String, type: RabbitMQQueueType = .classic, durable: Bool = true, exclusive: Bool = false,
        autoDelete: Bool = false, messageTTL: Duration? = nil, expires: Duration? = nil, maxLength: Int? = nil,
        maxLengthBytes: Int? = nil, overflow: RabbitMQOverflow? = nil, deadLetterExchange: String? = nil,
        deadLetterRoutingKey: String? = nil, singleActiveConsumer: Bool = false, deliveryLimit: Int? = nil,
        maxPriority: Int? = nil, maxAge: Duration? = nil, arguments: [String: RabbitMQArgumentValue] = [:]
    ) {
        self.name = name
        self.type = type
        self.durable = durable
        self.exclusive = exclusive
        self.autoDelete = autoDelete
        self.messageTTL = messageTTL
        self.expires = expires
        self.maxLength = maxLength
        self.maxLengthBytes = maxLengthBytes
        self.overflow = overflow
        self.deadLetterExchange = deadLetterExchange
        self.deadLetterRoutingKey = deadLetterRoutingKey
        self.singleActiveConsumer = singleActiveConsumer
        self.deliveryLimit = deliveryLimit
        self.maxPriority = maxPriority
        self.maxAge = maxAge
        self.arguments = arguments
    }

    /// The declare arguments: ``arguments`` plus every typed setting that is set.
    var declareArguments: [String: RabbitMQArgumentValue] {
        var all = self.arguments
        all["x-queue-type"] = .string(self.type.rawValue)
        if let messageTTL { all["x-message-ttl"] = .integer(messageTTL.wholeMilliseconds) }
        if let expires { all["x-expires"] = .integer(expires.wholeMilliseconds) }
        if let maxLength { all["x-max-length"] = .integer(Int64(maxLength)) }
        if let maxLengthBytes { all["x-max-length-bytes"] = .integer(Int64(maxLengthBytes)) }
        if let overflow { all["x-overflow"] = .string(overflow.rawValue) }
        if let deadLetterExchange { all["x-dead-letter-exchange"] = .string(deadLetterExchange) }
        if let deadLetterRoutingKey { all["x-dead-letter-routing-key"] = .string(deadLetterRoutingKey) }
        if self.singleActiveConsumer { all["x-single-active-consumer"] = .boolean(true) }
        if let deliveryLimit { all["x-delivery-limit"] = .integer(Int64(deliveryLimit)) }
        if let maxPriority { all["x-max-priority"] = .integer(Int64(maxPriority)) }
        if let maxAge { all["x-max-age"] = .string("\(maxAge.components.seconds)s") }
        return all
    }

    /// Throws ``MessageBus/MessageBusError/Code/invalidConfiguration`` naming the first setting RabbitMQ would
    /// refuse, before anything is sent.
    func validate() throws {
        for (key, duration) in [("messageTTL", self.messageTTL), ("expires", self.expires), ("maxAge", self.maxAge)] {
            if let duration, duration < .zero {
                throw MessageBusError.invalidConfiguration(
                    key: key, value: "\(duration)", expected: "a duration of zero or more")
            }
        }
        for (key, number) in [
            ("maxLength", self.maxLength), ("maxLengthBytes", self.maxLengthBytes), ("deliveryLimit", self.deliveryLimit),
        ] {
            if let number, number < 0 {
                throw MessageBusError.invalidConfiguration(key: key, value: "\(number)", expected: "zero or more")
            }
        }
        if let maxPriority, !(1...255).contains(maxPriority) {
            throw MessageBusError.invalidConfiguration(key: "maxPriority", value: "\(maxPriority)", expected: "1 to 255")
        }
        if self.type != .classic, !self.durable || self.exclusive || self.autoDelete {
            throw MessageBusError.invalidConfiguration(
                key: "queue '\(self.name)'", value: "\(self.type.rawValue), durable \(self.durable), exclusive "
                    + "\(self.exclusive), auto-delete \(self.autoDelete)",
                expected: "a durable, non-exclusive, non-auto-delete queue (\(self.type.rawValue) queues must be)")
        }
        try RabbitMQName.validate(self.name, role: "queue", allowEmpty: true)
    }
}

/// What a queue at its ``RabbitMQQueue/maxLength`` does with the next message (`x-overflow`).
public enum RabbitMQOverflow: String, Sendable, Hashable {
    /// Drops (or dead-letters) the oldest message. RabbitMQ's default.
    case dropHead = "drop-head"
    /// Refuses the new message: a publish with confirms fails (`basic.nack`).
    case rejectPublish = "reject-publish"
    /// Refuses the new message and dead-letters it (classic queues).
    case rejectPublishDeadLetter = "reject-publish-dlx"
}

/// A queue's size as the broker reported it when it was declared or inspected.
public struct RabbitMQQueueStatus: Sendable, Hashable {
    /// The queue name (the broker's choice for a server-named queue).
    public let name: String
    /// The messages ready for delivery (not those delivered and unacknowledged).
    public let messageCount: Int
    /// The consumers on the queue.
    public let consumerCount: Int

    /// Creates a status; returned by the bus.
    public init(name: String, messageCount: Int, consumerCount: Int) {
        self.name = name
        self.messageCount = messageCount
        self.consumerCount = consumerCount
    }
}

extension Duration {
    /// The duration in whole milliseconds, as AMQP arguments carry it.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
