/// An exchange to declare with ``RabbitMQMessageBus/declare(_:)-(RabbitMQExchange)``.
///
/// Declaring is idempotent: declaring the same exchange again with the same settings does nothing, and with other
/// settings fails with ``/MessageBus/MessageBusError/Code/invalidConfiguration`` (RabbitMQ's
/// `PRECONDITION_FAILED`). A declared exchange is declared again after a connection recovery.
public struct RabbitMQExchange: Sendable, Hashable {
    /// The exchange name (at most 255 bytes of UTF-8; names starting with `amq.` are RabbitMQ's own).
    public var name: String
    /// How the exchange routes (`type` of `exchange.declare`).
    public var type: RabbitMQExchangeType
    /// Whether the exchange survives a broker restart (`durable`).
    public var durable: Bool
    /// Whether RabbitMQ deletes the exchange when its last binding goes (`auto-delete`).
    public var autoDelete: Bool
    /// Whether only other exchanges may publish to it, through exchange-to-exchange bindings (`internal`).
    public var isInternal: Bool
    /// Where messages this exchange cannot route go (`alternate-exchange` argument).
    public var alternateExchange: String?
    /// Further declare arguments, such as a plugin exchange type's settings.
    public var arguments: [String: RabbitMQArgumentValue]

    /// Describes an exchange.
    ///
    /// - Parameters:
    ///   - name: The exchange name.
    ///   - type: How it routes.
    ///   - durable: Whether it survives a broker restart.
    ///   - autoDelete: Whether it goes with its last binding.
    ///   - isInternal: Whether only exchanges may publish to it.
    ///   - alternateExchange: Where unroutable messages go.
    ///   - arguments: Further declare arguments.
    public init(
        _ name: String, type: RabbitMQExchangeType, durable: Bool = true, autoDelete: Bool = false,
        isInternal: Bool = false, alternateExchange: String? = nil, arguments: [String: RabbitMQArgumentValue] = [:]
    ) {
        self.name = name
        self.type = type
        self.durable = durable
        self.autoDelete = autoDelete
        self.isInternal = isInternal
        self.alternateExchange = alternateExchange
        self.arguments = arguments
    }

    /// The declare arguments: ``arguments`` plus the alternate exchange.
    var declareArguments: [String: RabbitMQArgumentValue] {
        var all = self.arguments
        if let alternateExchange { all["alternate-exchange"] = .string(alternateExchange) }
        return all
    }
}

/// How an exchange routes messages to its bindings.
public struct RabbitMQExchangeType: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    /// The type name sent in `exchange.declare`.
    public let rawValue: String

    /// A type by name, for plugin exchanges such as `x-consistent-hash`.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Routes to the bindings whose key equals the message's routing key.
    public static let direct = RabbitMQExchangeType(rawValue: "direct")
    /// Routes every message to every binding, ignoring the routing key.
    public static let fanout = RabbitMQExchangeType(rawValue: "fanout")
    /// Routes by pattern: binding keys are dot-separated words where `*` matches one word and `#` zero or more.
    public static let topic = RabbitMQExchangeType(rawValue: "topic")
    /// Routes by message headers, matched against each binding's arguments (see ``RabbitMQHeaderMatch``).
    public static let headers = RabbitMQExchangeType(rawValue: "headers")

    /// The type name.
    public var description: String { self.rawValue }
}
