import ArgumentParser
import Logging
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// The options every subcommand shares: where the broker is and how loud to be.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The broker URL: memory://NAME, kafka://HOST:PORT or amqp://USER:PASS@HOST:PORT/VHOST.")
    var url: String = "memory://"

    @Flag(name: .long, help: "Log at debug level to standard error.")
    var verbose = false

    var target: BusTarget { BusTarget(url: self.url, verbose: self.verbose) }
}

/// A broker to open: its URL and the log level.
struct BusTarget: Sendable {
    var url: String
    var verbose: Bool

    func connect(_ configuration: MessageBusConfiguration = MessageBusConfiguration()) async throws -> any MessageBus {
        var logger = Logger(label: "messagebus-cli")
        logger.logLevel = self.verbose ? .debug : .warning
        return try await MessageBusConnector.connect(
            to: self.url, configuration: configuration, backends: Self.backends, logger: logger)
    }

    /// The backends the tool can open.
    static let backends: [MessageBusBackend] = [.inMemory, .kafka, .rabbitMQ]
}
