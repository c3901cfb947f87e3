public import Logging

/// A backend that can open a ``MessageBus`` from a URL.
///
/// Each backend module offers one (`.inMemory` here, `.kafka` in MessageBusKafka, `.rabbitMQ` in
/// MessageBusRabbitMQ); ``MessageBusConnector`` picks the one whose scheme the URL names.
public struct MessageBusBackend: Sendable {
    /// Opens a bus for a parsed URL.
    public typealias Opener = @Sendable (MessageBusURL, MessageBusConfiguration, Logger) async throws -> any MessageBus

    /// The backend's name.
    public let name: String
    /// The URL schemes it serves.
    public let schemes: Set<String>
    private let opener: Opener

    /// Creates a backend entry.
    ///
    /// - Parameters:
    ///   - name: The backend's name.
    ///   - schemes: The URL schemes it serves, lowercase.
    ///   - open: Opens a bus for a URL with one of `schemes`.
    public init(name: String, schemes: Set<String>, open: @escaping Opener) {
        self.name = name
        self.schemes = schemes
        self.opener = open
    }

    /// Opens a bus for `url`.
    public func open(_ url: MessageBusURL, configuration: MessageBusConfiguration, logger: Logger) async throws
        -> any MessageBus
    {
        try await self.opener(url, configuration, logger)
    }
}

/// Opens a ``MessageBus`` from a URL, so that application code names no backend type.
public enum MessageBusConnector {
    /// Opens the bus `url` names.
    ///
    /// ```swift
    /// let bus = try await MessageBusConnector.connect(to: "memory://", logger: logger)
    /// ```
    ///
    /// - Parameters:
    ///   - url: `memory://[name]`, `kafka://host:port[,host:port]?...` or `amqp(s)://user:pass@host:port/vhost?...`.
    ///   - configuration: The settings every backend honours (the delivery guarantee among them).
    ///   - backends: The backends to choose from; add `.kafka` and `.rabbitMQ` from their modules.
    ///   - logger: The logger the bus logs to. MessageBus never creates one behind your back.
    /// - Throws: ``MessageBusError/Code/invalidURL`` for a malformed URL or a scheme no backend serves, and
    ///   whatever the backend throws while opening.
    public static func connect(
        to url: String,
        configuration: MessageBusConfiguration = MessageBusConfiguration(),
        backends: [MessageBusBackend] = [.inMemory],
        logger: Logger
    ) async throws -> any MessageBus {
        let parsed = try MessageBusURL(url)
        guard let backend = backends.first(where: { $0.schemes.contains(parsed.scheme) }) else {
            let known = backends.flatMap(\.schemes).sorted().map { "\($0)://" }.joined(separator: ", ")
            throw MessageBusError(
                .invalidURL,
                "no backend serves '\(parsed.scheme)://' in \(parsed); available: \(known). "
                    + "Pass the backend in `backends:` (for example .kafka from MessageBusKafka)")
        }
        var logger = logger
        logger[metadataKey: MessageBusLoggingKeys.backend] = .string(backend.name)
        logger[metadataKey: MessageBusLoggingKeys.brokerURL] = .string(parsed.description)
        logger[metadataKey: MessageBusLoggingKeys.clientName] = .string(configuration.clientName)
        return try await backend.open(parsed, configuration: configuration, logger: logger)
    }
}
