public import MessageBus

/// The AMQP 0-9-1 basic properties that ``/MessageBus/Message`` has no field for, set per publish through
/// ``RabbitMQPublishOptions``.
///
/// The message's id, content type, correlation id, timestamp and headers already map onto their AMQP properties;
/// these are the RabbitMQ-specific rest. Every text property is an AMQP short string: at most 255 bytes of UTF-8.
public struct RabbitMQMessageProperties: Sendable, Hashable {
    /// The queue a consumer should answer to (`reply-to`), for request/response.
    public var replyTo: String?
    /// How long the message may wait in a queue before RabbitMQ discards (or dead-letters) it (`expiration`,
    /// sent as whole milliseconds).
    public var expiration: Duration?
    /// The message priority (`priority`); only queues declared with `x-max-priority` order by it.
    public var priority: UInt8?
    /// The application's message type name (`type`).
    public var type: String?
    /// The publishing application's identifier (`app-id`).
    public var appID: String?
    /// The encoding applied to the payload, such as `gzip` (`content-encoding`).
    public var contentEncoding: String?

    /// Creates a set of properties; every one is absent unless given.
    ///
    /// - Parameters:
    ///   - replyTo: The queue to answer to.
    ///   - expiration: The per-message time to live.
    ///   - priority: The message priority.
    ///   - type: The message type name.
    ///   - appID: The publishing application.
    ///   - contentEncoding: The payload's encoding.
    public init(
        replyTo: String? = nil, expiration: Duration? = nil, priority: UInt8? = nil, type: String? = nil,
        appID: String? = nil, contentEncoding: String? = nil
    ) {
        self.replyTo = replyTo
        self.expiration = expiration
        self.priority = priority
        self.type = type
        self.appID = appID
        self.contentEncoding = contentEncoding
    }

    /// Whether no property is set.
    public var isEmpty: Bool { self == RabbitMQMessageProperties() }

    /// The expiration as AMQP sends it: whole milliseconds, as decimal text.
    var expirationMilliseconds: String? {
        self.expiration.map { String($0.wholeMilliseconds) }
    }

    /// Throws ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming the first property out of range.
    public func validate() throws {
        if let expiration, expiration < .zero {
            throw MessageBusError.invalidConfiguration(
                key: "expiration", value: "\(expiration)", expected: "a duration of zero or more")
        }
        for (key, value) in [
            ("replyTo", self.replyTo), ("type", self.type), ("appID", self.appID),
            ("contentEncoding", self.contentEncoding),
        ] {
            if let value, value.utf8.count > 255 {
                throw MessageBusError.invalidConfiguration(
                    key: key, value: "\(value.prefix(40))... (\(value.utf8.count) bytes)",
                    expected: "at most 255 bytes of UTF-8 (an AMQP short string)")
            }
        }
    }
}

extension Delivery {
    /// The AMQP properties the message arrived with beyond ``/MessageBus/Message``'s fields (reply-to,
    /// expiration, priority, type, app id, content encoding); all absent on other backends and for messages
    /// published without them.
    public var rabbitMQProperties: RabbitMQMessageProperties {
        self.backendProperties as? RabbitMQMessageProperties ?? RabbitMQMessageProperties()
    }
}
