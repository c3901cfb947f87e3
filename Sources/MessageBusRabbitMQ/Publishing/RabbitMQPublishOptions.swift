/// RabbitMQ-specific settings for one publish, beyond what ``/MessageBus/Message`` carries; see
/// ``RabbitMQMessageBus/publish(contentsOf:to:options:)``.
public struct RabbitMQPublishOptions: Sendable, Hashable {
    /// Whether the broker must route each message to at least one queue, failing the publish with
    /// ``/MessageBus/MessageBusError/Code/unroutable`` otherwise; `nil` uses ``RabbitMQConfiguration/mandatory``.
    public var mandatory: Bool?
    /// The AMQP properties set on every message of the publish.
    public var properties: RabbitMQMessageProperties

    /// Creates publish options.
    ///
    /// - Parameters:
    ///   - mandatory: Whether unroutable messages fail the publish; the configuration's choice when `nil`.
    ///   - properties: The AMQP properties for every message of the publish.
    public init(mandatory: Bool? = nil, properties: RabbitMQMessageProperties = RabbitMQMessageProperties()) {
        self.mandatory = mandatory
        self.properties = properties
    }
}
