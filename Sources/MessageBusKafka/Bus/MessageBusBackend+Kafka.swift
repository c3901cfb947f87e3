public import Logging
public import MessageBus

extension MessageBusBackend {
    /// The Kafka backend, for `kafka://host:port[,host:port...]?...` and `kafka-mock://[NAME]?...` URLs.
    ///
    /// `kafka-mock://NAME` runs librdkafka's mock cluster in the process (one per name; see ``KafkaMockCluster``).
    /// See ``KafkaConfiguration/init(url:)`` for the query options.
    public static let kafka = MessageBusBackend(name: "kafka", schemes: ["kafka", "kafka-mock"]) { url, configuration, logger in
        try await KafkaMessageBus(url: url, configuration: configuration, logger: logger)
    }
}

extension KafkaMessageBus {
    /// Opens a bus for a `kafka://` or `kafka-mock://` URL; see ``KafkaConfiguration/init(url:)``.
    public convenience init(url: MessageBusURL, configuration: MessageBusConfiguration, logger: Logger) async throws {
        var mockCluster: KafkaMockCluster?
        var kafka: KafkaConfiguration
        if url.scheme == "kafka-mock" {
            guard url.hosts.count <= 1, url.hosts.first?.port == nil, url.user == nil else {
                throw MessageBusError(.invalidURL, "'\(url)' must be kafka-mock://NAME (one cluster name, no port, no user)")
            }
            var brokers = 3
            if let text = url.queryValue("brokers") {
                guard let value = Int(text) else {
                    throw MessageBusError.invalidConfiguration(key: "brokers", value: text, expected: "an integer")
                }
                brokers = value
            }
            let cluster = try KafkaMockCluster.named(url.hosts.first?.name ?? "default", brokers: brokers, logger: logger)
            mockCluster = cluster
            kafka = try KafkaConfiguration(url: url, bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
        } else {
            kafka = try KafkaConfiguration(url: url)
        }
        try await self.init(kafka: kafka, configuration: configuration, logger: logger, mockCluster: mockCluster)
    }
}

extension MessageBusError {
    static func invalidConfiguration(key: String, value: String, expected: String) -> MessageBusError {
        MessageBusError(.invalidConfiguration, "invalid value '\(value)' for '\(key)': expected \(expected)")
    }
}
