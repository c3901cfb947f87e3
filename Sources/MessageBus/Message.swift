public import Foundation

/// A message: the unit every backend publishes and delivers.
///
/// The first-class properties map onto each broker's own fields where it has them: on RabbitMQ ``id``,
/// ``contentType``, ``correlationID`` and ``timestamp`` are the AMQP `message-id`, `content-type`,
/// `correlation-id` and `timestamp` properties; on Kafka, which has only a timestamp, they travel in record
/// headers named as the CloudEvents Kafka binding names them (``WellKnownHeader``), so consumers in other
/// ecosystems can read them.
public struct Message: Sendable, Hashable {
    /// The body.
    public var payload: [UInt8]
    /// The key: Kafka's record key (partitioning, per-key order), RabbitMQ's routing key.
    public var key: String?
    /// Application headers, in order.
    public var headers: MessageHeaders
    /// A unique identifier; consumers de-duplicate by it under effectively-once.
    public var id: String {
        get { self.identifier.text }
        set { self.identifier = MessageIdentifier(newValue) }
    }
    /// ``id`` as held: a UUID as its bits, so that making a message allocates no string for it.
    package var identifier: MessageIdentifier
    /// When the message was created.
    public var timestamp: Date?
    /// The media type of ``payload``, for example `application/json`.
    public var contentType: String?
    /// The identifier of the message this one answers or belongs with.
    public var correlationID: String?

    /// Creates a message.
    ///
    /// - Parameters:
    ///   - payload: The body.
    ///   - key: The partitioning (Kafka) or routing (RabbitMQ) key.
    ///   - headers: Application headers.
    ///   - id: A unique identifier; ``generateID()`` when omitted.
    ///   - timestamp: The creation time; now when omitted.
    ///   - contentType: The payload's media type.
    ///   - correlationID: The identifier of a related message.
    public init(
        payload: [UInt8],
        key: String? = nil,
        headers: MessageHeaders = [:],
        id: String? = nil,
        timestamp: Date? = Date(),
        contentType: String? = nil,
        correlationID: String? = nil
    ) {
        self.init(
            payload: payload, key: key, headers: headers, identifier: id.map(MessageIdentifier.init),
            timestamp: timestamp, contentType: contentType, correlationID: correlationID)
    }

    /// Creates a message whose id is `identifier`, or a new one when it is `nil`: what backends decoding a
    /// delivery call, so that a UUID id is not made into a string.
    package init(
        payload: [UInt8], key: String?, headers: MessageHeaders, identifier: MessageIdentifier?, timestamp: Date?,
        contentType: String?, correlationID: String?
    ) {
        self.payload = payload
        self.key = key
        self.headers = headers
        self.identifier = identifier ?? MessageIDGenerator.next()
        self.timestamp = timestamp
        self.contentType = contentType
        self.correlationID = correlationID
    }

    /// Creates a message whose payload is the UTF-8 bytes of `text`, with content type `text/plain; charset=utf-8`.
    public init(text: String, key: String? = nil, headers: MessageHeaders = [:], id: String? = nil) {
        self.init(
            payload: Array(text.utf8),
            key: key,
            headers: headers,
            id: id,
            contentType: "text/plain; charset=utf-8"
        )
    }

    /// A new message identifier: a version-4-layout UUID string (upper-case, like Foundation's `uuidString`).
    ///
    /// Unlike `UUID().uuidString` it makes no system call: the process draws one random seed and each id mixes a
    /// counter with it, so ids never repeat within a process and collide across processes with negligible
    /// probability. The default ``id`` of every message.
    public static func generateID() -> String {
        MessageIDGenerator.next().text
    }

    /// The payload decoded as UTF-8, or `nil` when it is not valid UTF-8.
    public var text: String? {
        String(validating: self.payload, as: UTF8.self)
    }
}

extension Message: CustomReflectable {
    /// The message's properties as an application sees them: `print` and `dump` show ``id`` as its text rather
    /// than the bits it is held as.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "payload": self.payload, "key": self.key as Any, "headers": self.headers, "id": self.id,
                "timestamp": self.timestamp as Any, "contentType": self.contentType as Any,
                "correlationID": self.correlationID as Any,
            ],
            displayStyle: .struct)
    }
}
