import Foundation
import Logging
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// Where the brokers are and how the scenarios open their buses: short timeouts and fast recovery, so that a fault
/// is noticed and recovered from within seconds.
struct ChaosEnvironment: Sendable {
    /// The shared RabbitMQ broker (MESSAGEBUS_AMQP_URL), which the scenarios reach directly or through a proxy.
    var amqp: RabbitMQConfiguration
    /// The shared Kafka-protocol broker (MESSAGEBUS_KAFKA_BROKERS).
    var kafkaBrokers: String
    /// The repository, for the scripts and the Tansu binary under `.state`.
    var root: URL

    static func fromProcess() throws -> ChaosEnvironment {
        let environment = ProcessInfo.processInfo.environment
        let amqpURL = environment["MESSAGEBUS_AMQP_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "amqp://guest:guest@127.0.0.1:5672/%2F"
        let kafka = environment["MESSAGEBUS_KAFKA_BROKERS"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1:9092"
        // Chaos/MessageBusChaos/ChaosEnvironment.swift -> the repository.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return ChaosEnvironment(amqp: try RabbitMQConfiguration(url: MessageBusURL(amqpURL)), kafkaBrokers: kafka, root: root)
    }

    /// The shared RabbitMQ broker's AMQP port on loopback (the proxy and the scenarios assume 127.0.0.1).
    var amqpPort: Int { self.amqp.endpoints.first?.port ?? 5672 }

    /// The Tansu binary `scripts/bootstrap.sh` installs, or MESSAGEBUS_TANSU.
    var tansuBinary: String {
        let configured = ProcessInfo.processInfo.environment["MESSAGEBUS_TANSU"] ?? ""
        return configured.isEmpty ? self.root.appendingPathComponent(".state/bin/tansu").path : configured
    }

    /// A log file for a process the harness starts, under `.state/chaos`.
    func logPath(_ name: String) -> String {
        let folder = self.root.appendingPathComponent(".state/chaos")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("\(name).log").path
    }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: "chaos.\(label)")
        let level = ProcessInfo.processInfo.environment["MESSAGEBUS_CHAOS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .critical
        return logger
    }

    /// A RabbitMQ bus on 127.0.0.1:`port` with the shared broker's credentials: 2 s heartbeats, so that a stalled
    /// connection is noticed in about 4 s, and recovery retried every 100 ms to 1 s for a minute.
    func rabbitMQBus(port: Int, label: String) async throws -> RabbitMQMessageBus {
        var configuration = self.amqp
        configuration.endpoints = [RabbitMQEndpoint(host: "127.0.0.1", port: port)]
        configuration.heartbeat = .seconds(2)
        configuration.connectionTimeout = .seconds(2)
        configuration.requestTimeout = .seconds(10)
        configuration.recovery = RabbitMQRecoveryPolicy(
            initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1), giveUpAfter: .seconds(60))
        return try await RabbitMQMessageBus(
            rabbitMQ: configuration, configuration: MessageBusConfiguration(publishTimeout: .seconds(60)),
            logger: Self.logger(label))
    }

    /// A Kafka bus on `bootstrap`, with a 60 s publish timeout (librdkafka retries within it).
    func kafkaBus(bootstrap: String, label: String, mockCluster: KafkaMockCluster? = nil) async throws -> KafkaMessageBus {
        var configuration = KafkaConfiguration(bootstrapServers: bootstrap.split(separator: ",").map(String.init))
        configuration.connectTimeout = .seconds(20)
        return try await KafkaMessageBus(
            kafka: configuration, configuration: MessageBusConfiguration(publishTimeout: .seconds(60)),
            logger: Self.logger(label), mockCluster: mockCluster)
    }
}
