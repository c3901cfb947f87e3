import MessageBusIntegrationSupport
import Logging
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Opens buses on the test broker, after checking once that it answers.
enum RabbitMQTestBus {
    /// Fails with `BrokerUnreachable` (naming the URL and `make brokers-start`) when nothing answers at the URL.
    static func requireBroker() async throws {
        let url = AMQPTestEnvironment.url
        _ = try await onDedicatedThread("rabbitmq-reachable") {
            _ = try AMQPConnection(url: url, connectTimeoutSeconds: 3)
        }
    }

    /// Settings for the test broker through a fresh ``TCPProxy`` named `name` (for faults on the connection), with a
    /// request timeout far beyond any test.
    static func proxiedConfiguration(_ name: String) async throws -> (rabbitMQ: RabbitMQConfiguration, proxy: TCPProxy) {
        try await self.requireBroker()
        var rabbitMQ = try RabbitMQConfiguration(url: MessageBusURL(AMQPTestEnvironment.url))
        let upstream = try #require(rabbitMQ.endpoints.first)
        let proxy = try TCPProxy(upstreamPort: upstream.port, name: name)
        rabbitMQ.endpoints = [RabbitMQEndpoint(host: "127.0.0.1", port: proxy.port)]
        rabbitMQ.requestTimeout = .seconds(60)
        return (rabbitMQ, proxy)
    }

    /// A ``RabbitMQMessageBus`` (for its RabbitMQ-specific API) on the test broker; `query` adds URL options.
    static func openRabbitMQ(query: String? = nil, label: String = "test.rabbitmq") async throws -> RabbitMQMessageBus {
        var url = AMQPTestEnvironment.url
        if let query { url += (url.contains("?") ? "&" : "?") + query }
        return try await RabbitMQMessageBus(
            url: MessageBusURL(url), configuration: MessageBusConfiguration(), logger: Logger(label: label))
    }

    /// A bus on the test broker; `query` adds URL options (`queue_type=classic`, ...).
    static func open(
        _ configuration: MessageBusConfiguration = MessageBusConfiguration(), query: String? = nil,
        label: String = "test.rabbitmq"
    ) async throws -> any MessageBus {
        var url = AMQPTestEnvironment.url
        if let query { url += (url.contains("?") ? "&" : "?") + query }
        return try await MessageBusConnector.connect(
            to: url, configuration: configuration, backends: [.rabbitMQ], logger: Logger(label: label))
    }
}
