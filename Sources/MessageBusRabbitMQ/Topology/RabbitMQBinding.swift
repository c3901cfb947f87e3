import MessageBus

/// A binding from an exchange to a queue or to another exchange, for ``RabbitMQMessageBus/bind(_:)`` and
/// ``RabbitMQMessageBus/unbind(_:)``.
///
/// A bound binding is bound again after a connection recovery.
public struct RabbitMQBinding: Sendable, Hashable {
    /// What a binding routes to.
    public enum Target: Sendable, Hashable {
        /// A queue (`queue.bind`).
        case queue(String)
        /// Another exchange (`exchange.bind`, a RabbitMQ extension), which routes the message on by its own type.
        case exchange(String)
    }

    /// The exchange messages come from.
    public var exchange: String
    /// The queue or exchange they go to.
    public var target: Target
    /// The binding key: equal to the routing key (direct), a pattern (topic), or ignored (fanout, headers).
    public var routingKey: String
    /// The binding arguments; for a headers exchange, the headers to match (see ``RabbitMQHeaderMatch``).
    public var arguments: [String: RabbitMQArgumentValue]

    /// Binds `target` to `exchange`.
    ///
    /// - Parameters:
    ///   - target: The queue or exchange messages go to.
    ///   - exchange: The exchange they come from.
    ///   - routingKey: The binding key.
    ///   - arguments: The binding arguments.
    public init(
        _ target: Target, to exchange: String, routingKey: String = "", arguments: [String: RabbitMQArgumentValue] = [:]
    ) {
        self.exchange = exchange
        self.target = target
        self.routingKey = routingKey
        self.arguments = arguments
    }

    /// Binds `target` to a headers exchange, matching message headers.
    ///
    /// - Parameters:
    ///   - target: The queue or exchange messages go to.
    ///   - exchange: The headers exchange.
    ///   - match: The headers to match, and whether all or any must.
    public init(_ target: Target, to exchange: String, matching match: RabbitMQHeaderMatch) {
        self.init(target, to: exchange, routingKey: "", arguments: match.arguments)
    }

    /// The name of the queue or exchange bound.
    var targetName: String {
        switch self.target {
        case .queue(let name), .exchange(let name): name
        }
    }
}

/// The headers a binding to a headers exchange matches (`x-match` and the header values).
///
/// A message header matches when its value's bytes equal the binding's value as text: MessageBus publishes header
/// values as strings, so bind with ``RabbitMQArgumentValue/string(_:)`` values.
public struct RabbitMQHeaderMatch: Sendable, Hashable {
    /// Whether every header must match (`x-match: all`) or one is enough (`x-match: any`).
    public var requiresAll: Bool
    /// The header names and values to match.
    public var headers: [String: RabbitMQArgumentValue]

    /// Matches messages that carry every one of `headers`.
    public static func all(_ headers: [String: RabbitMQArgumentValue]) -> RabbitMQHeaderMatch {
        RabbitMQHeaderMatch(requiresAll: true, headers: headers)
    }

    /// Matches messages that carry at least one of `headers`.
    public static func any(_ headers: [String: RabbitMQArgumentValue]) -> RabbitMQHeaderMatch {
        RabbitMQHeaderMatch(requiresAll: false, headers: headers)
    }

    var arguments: [String: RabbitMQArgumentValue] {
        var arguments = self.headers
        arguments["x-match"] = .string(self.requiresAll ? "all" : "any")
        return arguments
    }
}
