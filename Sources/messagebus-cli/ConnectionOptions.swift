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

    /// The URL with its password replaced, for anything the tool prints.
    var redactedURL: String {
        (try? MessageBusURL(self.url).description) ?? MessageBusURL.redact(self.url)
    }

    func connect(_ configuration: MessageBusConfiguration = MessageBusConfiguration()) async throws -> any MessageBus {
        // Logs go to standard error, so that standard output carries only what a command prints (raw payloads).
        var logger = Logger(label: "messagebus-cli", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = self.verbose ? .debug : .warning
        return try await MessageBusConnector.connect(
            to: self.url, configuration: configuration, backends: Self.backends, logger: logger)
    }

    /// Opens the bus, runs `body` with it and closes it, also when `body` throws (the body's error wins).
    func withBus<Result: Sendable>(
        _ configuration: MessageBusConfiguration = MessageBusConfiguration(),
        _ body: (any MessageBus) async throws -> Result
    ) async throws -> Result {
        let bus = try await self.connect(configuration)
        let result: Result
        do {
            result = try await body(bus)
        } catch {
            try? await bus.close()
            throw error
        }
        try await bus.close()
        return result
    }

    /// The backends the tool can open.
    static let backends: [MessageBusBackend] = [.inMemory, .kafka, .rabbitMQ]
}
