import ArgumentParser
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

extension BusTarget {
    /// Opens the bus, which must be Kafka, and runs `body` with it; `command` names what needs Kafka in the error.
    func withKafka<Result: Sendable>(
        for command: String, _ body: (KafkaMessageBus) async throws -> Result
    ) async throws -> Result {
        try await self.withBus { bus in
            guard let kafka = bus as? KafkaMessageBus else { throw self.wrongBackend(command, needs: "kafka://") }
            return try await body(kafka)
        }
    }

    /// Opens the bus, which must be RabbitMQ, and runs `body` with it; `command` names what needs it in the error.
    func withRabbitMQ<Result: Sendable>(
        for command: String, _ body: (RabbitMQMessageBus) async throws -> Result
    ) async throws -> Result {
        try await self.withBus { bus in
            guard let rabbit = bus as? RabbitMQMessageBus else { throw self.wrongBackend(command, needs: "amqp://") }
            return try await body(rabbit)
        }
    }

    /// `'declare topic' needs a kafka:// URL, not memory://x`.
    func wrongBackend(_ command: String, needs scheme: String) -> ValidationError {
        ValidationError("'\(command)' needs a \(scheme) URL, not \(self.redactedURL)")
    }
}

/// Reads `--arg name=value` as a RabbitMQ argument: a whole number, `true`/`false`, or else a string.
extension RabbitMQArgumentValue {
    init(commandLine text: String) {
        if let number = Int64(text) {
            self = .integer(number)
        } else if text == "true" || text == "false" {
            self = .boolean(text == "true")
        } else {
            self = .string(text)
        }
    }
}
