import ArgumentParser
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// Declares broker objects: Kafka topics; RabbitMQ exchanges, queues and bindings.
struct DeclareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "declare",
        abstract: "Create a Kafka topic, or a RabbitMQ exchange, queue or binding.",
        discussion: """
            Declaring what exists with the same settings does nothing; RabbitMQ refuses other settings.

            Examples:
              messagebus declare topic orders --partitions 6 --config retention.ms=604800000 --url kafka://127.0.0.1:9092
              messagebus declare exchange orders --type topic --url amqp://guest:guest@127.0.0.1:5672/%2F
              messagebus declare queue orders.audit --type quorum --arg x-max-length=100000 --url amqp://...
              messagebus declare binding --exchange orders --queue orders.audit --routing-key 'eu.#' --url amqp://...
            """,
        subcommands: [DeclareTopic.self, DeclareExchange.self, DeclareQueue.self, DeclareBinding.self])
}

struct DeclareTopic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic", abstract: "Create a Kafka topic (an existing one keeps its settings).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The topic.") var name: String
    @Option(name: .long, help: "The partition count (default: the URL's partitions option, else 1).") var partitions: Int?
    @Option(name: .long, help: "The replication factor (default: the broker's).") var replicationFactor: Int?
    @Option(name: .customLong("config"), help: "A topic config, such as retention.ms=3600000; repeatable.")
    var configs: [KeyValue] = []

    func validate() throws {
        if let partitions, partitions < 1 { throw ValidationError("invalid --partitions '\(partitions)': expected 1 or more") }
        if let replicationFactor, replicationFactor < 1 {
            throw ValidationError("invalid --replication-factor '\(replicationFactor)': expected 1 or more")
        }
    }

    func run() async throws {
        let target = self.connection.target
        let count = try await target.withKafka(for: "declare topic") { bus in
            try await bus.createTopic(
                self.name, partitions: self.partitions, replicationFactor: self.replicationFactor,
                configs: self.configs.dictionary)
            return try await bus.partitionCount(of: self.name)
        }
        print("declared topic '\(self.name)' with \(count.map(String.init) ?? "?") partitions on \(target.redactedURL)")
    }
}

struct DeclareExchange: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exchange", abstract: "Declare a RabbitMQ exchange.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The exchange.") var name: String
    @Option(name: .long, help: "direct, fanout, topic, headers, or a plugin's type.") var type = "topic"
    @Flag(name: .long, help: "Not durable: gone after a broker restart.") var transient = false
    @Flag(name: .long, help: "Deleted with its last binding.") var autoDelete = false
    @Flag(name: .long, help: "Only other exchanges may publish to it.") var `internal` = false
    @Option(name: .long, help: "Where messages it cannot route go.") var alternateExchange: String?
    @Option(name: .customLong("arg"), help: "A declare argument; repeatable.") var arguments: [KeyValue] = []

    func run() async throws {
        let exchange = RabbitMQExchange(
            self.name, type: RabbitMQExchangeType(rawValue: self.type), durable: !self.transient,
            autoDelete: self.autoDelete, isInternal: self.internal, alternateExchange: self.alternateExchange,
            arguments: self.arguments.dictionary.mapValues(RabbitMQArgumentValue.init(commandLine:)))
        let target = self.connection.target
        try await target.withRabbitMQ(for: "declare exchange") { try await $0.declare(exchange) }
        print("declared \(self.type) exchange '\(self.name)' on \(target.redactedURL)")
    }
}

struct DeclareQueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queue", abstract: "Declare a RabbitMQ queue.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The queue.") var name: String
    @Option(name: .long, help: "quorum, classic or stream.") var type: QueueTypeArgument = .quorum
    @Option(name: .long, help: "The most messages it holds (x-max-length).") var maxLength: Int?
    @Option(name: .long, help: "Message time to live in milliseconds (x-message-ttl).") var messageTTL: Int?
    @Option(name: .long, help: "Where dead-lettered messages go (x-dead-letter-exchange).") var deadLetterExchange: String?
    @Option(name: .customLong("arg"), help: "A declare argument, such as x-max-age=7D; repeatable.")
    var arguments: [KeyValue] = []

    func run() async throws {
        let queue = RabbitMQQueue(
            self.name, type: self.type.queueType, messageTTL: self.messageTTL.map { .milliseconds($0) },
            maxLength: self.maxLength, deadLetterExchange: self.deadLetterExchange,
            arguments: self.arguments.dictionary.mapValues(RabbitMQArgumentValue.init(commandLine:)))
        let target = self.connection.target
        let status = try await target.withRabbitMQ(for: "declare queue") { try await $0.declare(queue) }
        print("declared \(self.type.rawValue) queue '\(status.name)' (\(status.messageCount) messages, "
            + "\(status.consumerCount) consumers) on \(target.redactedURL)")
    }
}

/// `--type` of `declare queue`.
enum QueueTypeArgument: String, ExpressibleByArgument, CaseIterable {
    case quorum, classic, stream

    var queueType: RabbitMQQueueType {
        switch self {
        case .quorum: .quorum
        case .classic: .classic
        case .stream: .stream
        }
    }
}

/// The options that name a RabbitMQ binding, for `declare binding` and `delete binding`.
struct BindingOptions: ParsableArguments {
    @Option(name: .long, help: "The exchange messages come from.") var exchange: String
    @Option(name: .long, help: "The queue they go to.") var queue: String?
    @Option(name: .long, help: "The exchange they go to, instead of a queue.") var toExchange: String?
    @Option(name: .long, help: "The binding key.") var routingKey = ""

    func validate() throws {
        switch (self.queue, self.toExchange) {
        case (nil, nil): throw ValidationError("missing --queue or --to-exchange: what the binding routes to")
        case (.some(let queue), .some(let exchange)):
            throw ValidationError("give --queue '\(queue)' or --to-exchange '\(exchange)', not both")
        default: break
        }
    }

    var binding: RabbitMQBinding {
        let target: RabbitMQBinding.Target = self.queue.map { .queue($0) } ?? .exchange(self.toExchange ?? "")
        return RabbitMQBinding(target, to: self.exchange, routingKey: self.routingKey)
    }

    var summary: String {
        "'\(self.exchange)' -> \(self.queue.map { "queue '\($0)'" } ?? "exchange '\(self.toExchange ?? "")'") "
            + "with key '\(self.routingKey)'"
    }
}

struct DeclareBinding: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binding", abstract: "Bind a RabbitMQ queue or exchange to an exchange.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var binding: BindingOptions

    func run() async throws {
        let target = self.connection.target
        try await target.withRabbitMQ(for: "declare binding") { try await $0.bind(self.binding.binding) }
        print("bound \(self.binding.summary) on \(target.redactedURL)")
    }
}
