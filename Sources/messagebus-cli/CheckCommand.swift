import ArgumentParser
import MessageBus

/// Checks that a broker answers, and probes what it supports.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the broker behind a URL answers, and probe what it supports.",
        discussion: """
            Prints a table: readiness, the backend's capabilities, and a probe of the broker itself: on Kafka, \
            topic metadata and whether it isolates aborted transactions from read_committed consumers (what \
            exactly-once needs); on RabbitMQ, whether quorum queues and streams can be declared. Exits non-zero \
            when the broker is not ready.

            Examples:
              messagebus check --url kafka://127.0.0.1:9092
              messagebus check --url amqp://guest:guest@127.0.0.1:5672/%2F
            """)

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let target = self.connection.target
        try await target.withBus { bus in
            var table = TextTable(headers: ["CHECK", "RESULT", "DETAIL"])
            do {
                try await bus.checkReadiness()
                table.rows.append(["readiness", "ok", "\(bus.backend) at \(target.redactedURL) answered"])
            } catch {
                table.rows.append(["readiness", "failed", BrokerProbe.describe(error)])
                print(table)
                throw error
            }
            table.rows.append(["capabilities", "-", bus.capabilities.description])
            for row in await BrokerProbe.rows(for: bus) {
                table.rows.append([row.check, row.result, row.detail])
            }
            print(table)
        }
    }
}
