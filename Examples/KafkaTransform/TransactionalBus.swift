import Logging
import MessageBus
import MessageBusKafka

/// A bus opened with the exactly-once guarantee, and whether its broker proved that it hides aborted transactions.
struct TransactionalBus {
    let bus: any MessageBus
    let isolatesAbortedTransactions: Bool

    /// Opens `url` (`kafka://` or `memory://`) with ``DeliveryGuarantee/exactlyOnce``.
    static func open(_ url: String, logger: Logger) async throws -> TransactionalBus {
        let configuration = MessageBusConfiguration(guarantee: .exactlyOnce)
        let parsed = try MessageBusURL(url)
        if parsed.scheme == "amqp" || parsed.scheme == "amqps" {
            throw MessageBusError(
                .unsupported,
                "RabbitMQ has no transactions, so \(parsed) cannot run this example: it takes kafka:// or memory://; "
                    + "on RabbitMQ use .effectivelyOnce(deduplicatingWith:)")
        }
        guard parsed.scheme == "kafka" else {
            let bus = try await MessageBusConnector.connect(
                to: url, configuration: configuration, backends: [.inMemory, .kafka], logger: logger)
            return TransactionalBus(bus: bus, isolatesAbortedTransactions: true)
        }
        do {
            let bus = try await KafkaMessageBus(url: parsed, configuration: configuration, logger: logger)
            return TransactionalBus(bus: bus, isolatesAbortedTransactions: true)
        } catch let error as MessageBusError where error.code == .unsupported {
            print("kafka-transform: \(error.message)")
            print("kafka-transform: running with the isolation check off, to show the transactional calls only")
            var kafka = try KafkaConfiguration(url: parsed)
            kafka.requiresVerifiedTransactionIsolation = false
            let bus = try await KafkaMessageBus(kafka: kafka, configuration: configuration, logger: logger)
            return TransactionalBus(bus: bus, isolatesAbortedTransactions: false)
        }
    }
}
