import ArgumentParser
import MessageBridge
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// What `messagebus bridge` reads on its source: a destination as a group (any URL), an existing RabbitMQ queue, or
/// Kafka topics by list or pattern as a group.
enum BridgeSourceSelection {
    case destination(String, group: String)
    case queue(String)
    case topics([String], group: String)
    case pattern(String, group: String)

    /// The selection the options name; exactly one of `destination`, `queue`, `topics` and `pattern` must be given,
    /// with `group` unless it is a queue.
    init(destination: String?, queue: String?, topics: String?, pattern: String?, group: String?) throws {
        let given = [("--destination", destination), ("--queue", queue), ("--topics", topics), ("--pattern", pattern)]
            .compactMap { name, value in value.map { (name, $0) } }
        guard given.count == 1, let (option, value) = given.first else {
            let named = given.isEmpty ? "none" : given.map { "\($0.0) '\($0.1)'" }.joined(separator: " and ")
            throw ValidationError("give one of --destination, --queue, --topics or --pattern (given: \(named))")
        }
        if option == "--queue" {
            if let group { throw ValidationError("--queue '\(value)' is read as it is: drop --group '\(group)'") }
            self = .queue(value)
            return
        }
        guard let group else { throw ValidationError("\(option) '\(value)' needs --group") }
        switch option {
        case "--destination": self = .destination(value, group: group)
        case "--topics": self = .topics(value.split(separator: ",").map(String.init), group: group)
        default: self = .pattern(value, group: group)
        }
    }

    /// What the output calls the source.
    var name: String {
        switch self {
        case .destination(let destination, _): destination
        case .queue(let queue): "queue \(queue)"
        case .topics(let topics, _): "topics \(topics.joined(separator: ","))"
        case .pattern(let pattern, _): "topics matching \(pattern)"
        }
    }

    /// The destination whose dead letters `--dead-letters` copies; `nil` when the source is not a destination.
    var destination: String? {
        if case .destination(let destination, _) = self { return destination }
        return nil
    }

    /// The bridge's source on `bus`.
    ///
    /// - Throws: `ValidationError` when the source needs another backend than `bus` has.
    func source(on bus: any MessageBus) throws -> MessageBridgeSource {
        switch self {
        case .destination(let destination, let group):
            return .destination(destination, group: group)
        case .queue(let queue):
            guard let rabbit = bus as? RabbitMQMessageBus else {
                throw ValidationError("--queue '\(queue)' needs an amqp:// source, not \(bus.backend)")
            }
            return .subscription("queue '\(queue)'") { try await rabbit.subscribe(toQueue: queue, options: $0) }
        case .topics(let topics, let group):
            let kafka = try Self.kafka(bus, for: "--topics")
            return .subscription(self.name) { try await kafka.subscribe(toTopics: topics, group: group, options: $0) }
        case .pattern(let pattern, let group):
            let kafka = try Self.kafka(bus, for: "--pattern")
            return .subscription(self.name) { options in
                // A pattern subscription needs one dead-letter destination that the pattern does not match; the
                // bridge never rejects, so this one only has to be valid.
                var options = options
                options.deadLetterDestination = "messagebus-bridge.dlq"
                return try await kafka.subscribe(matching: pattern, group: group, options: options)
            }
        }
    }

    /// How far the bridge is behind on the source, where the backend can tell: a destination's consumer lag on
    /// Kafka, the ready messages of the group's (or the given) queue on RabbitMQ.
    func lagProbe(on bus: any MessageBus) -> (@Sendable () async throws -> Int64)? {
        switch self {
        case .destination(let destination, let group):
            if let kafka = bus as? KafkaMessageBus {
                return { try await kafka.consumerLag(group: group, destination: destination).reduce(0) { $0 + $1.lag } }
            }
            if let rabbit = bus as? RabbitMQMessageBus {
                // The group's queue: what it holds ready is what the bridge has yet to read.
                return {
                    let queue = RabbitMQMessageBus.groupQueueName(destination: destination, group: group)
                    return Int64(try await rabbit.inspectQueue(queue).messageCount)
                }
            }
            return nil
        case .queue(let queue):
            guard let rabbit = bus as? RabbitMQMessageBus else { return nil }
            return { Int64(try await rabbit.inspectQueue(queue).messageCount) }
        case .topics, .pattern:
            // The Kafka backend reports lag per destination and group; a multi-topic group is named otherwise.
            return nil
        }
    }

    private static func kafka(_ bus: any MessageBus, for option: String) throws -> KafkaMessageBus {
        guard let kafka = bus as? KafkaMessageBus else {
            throw ValidationError("\(option) needs a kafka:// source, not \(bus.backend)")
        }
        return kafka
    }
}
