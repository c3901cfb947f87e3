import Foundation
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// What `check` asks a broker beyond readiness: the features whose support depends on the broker itself, not
/// on the backend (a Kafka-compatible broker may not isolate transactions; a RabbitMQ may lack quorum queues or
/// streams).
enum BrokerProbe {
    /// One line of the probe table.
    struct Row: Sendable {
        var check: String
        var result: String
        var detail: String
    }

    /// The probe rows for `bus`'s backend (none for the in-memory backend, whose features are its capabilities).
    static func rows(for bus: any MessageBus) async -> [Row] {
        if let kafka = bus as? KafkaMessageBus {
            return await self.kafkaRows(kafka)
        }
        if let rabbit = bus as? RabbitMQMessageBus {
            return [
                await self.queueTypeRow(.quorum, on: rabbit, check: "quorum queues"),
                await self.queueTypeRow(.stream, on: rabbit, check: "streams"),
            ]
        }
        return []
    }

    private static func kafkaRows(_ bus: KafkaMessageBus) async -> [Row] {
        var rows: [Row] = []
        do {
            let topics = try await bus.listTopics()
            rows.append(Row(check: "topic metadata", result: "yes", detail: "\(topics.count) topics"))
        } catch {
            rows.append(Row(check: "topic metadata", result: "no", detail: Self.describe(error)))
        }
        do {
            let isolation = try await bus.checkTransactionIsolation()
            let result = switch isolation {
            case .isolated: "yes"
            case .notIsolated: "no"
            case .unknown: "unknown"
            }
            rows.append(Row(check: "transaction isolation", result: result, detail: isolation.description))
        } catch {
            rows.append(Row(check: "transaction isolation", result: "unknown", detail: Self.describe(error)))
        }
        return rows
    }

    /// Declares a queue of `type` under a fresh name and deletes it again.
    private static func queueTypeRow(_ type: RabbitMQQueueType, on bus: RabbitMQMessageBus, check: String) async -> Row {
        let name = "messagebus.probe.\(type.rawValue).\(Message.generateID().lowercased())"
        do {
            try await bus.declare(RabbitMQQueue(name, type: type))
            try await bus.deleteQueue(name)
            return Row(check: check, result: "yes", detail: "declared and deleted a \(type.rawValue) queue")
        } catch {
            return Row(check: check, result: "no", detail: Self.describe(error))
        }
    }

    /// An error's one-line text (a ``MessageBusError``'s message, which names its input without credentials).
    static func describe(_ error: any Error) -> String {
        CommandLineError.line(for: error, fallback: "") ?? "\(error)"
    }
}
