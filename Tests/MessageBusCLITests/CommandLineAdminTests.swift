import MessageBusIntegrationSupport
import Testing

/// `messagebus declare`, `stats` and `delete` round trips on both brokers.
@Suite("messagebus declare, stats and delete", .timeLimit(.minutes(5)))
struct CommandLineAdminTests {
    @Test("memory:// has no topology to administer, and says so in one line")
    func memoryRefuses() async throws {
        let result = try await CommandLineTool.run(["declare", "topic", "orders", "--url", "memory://admin"])
        #expect(result.status != 0, "\(result)")
        #expect(result.errorLines == ["messagebus: error: 'declare topic' needs a kafka:// URL, not memory://admin"])
    }

    @Test("Kafka: declare a topic, count what it holds and the group's lag, delete it",
        .enabled(if: IntegrationGate.isEnabled))
    func kafkaRoundTrip() async throws {
        let url = BrokerURLs.kafka
        let topic = IntegrationEnvironment.uniqueName("cli-admin")
        let declared = try await CommandLineTool.run(
            ["declare", "topic", topic, "--partitions", "3", "--config", "retention.ms=3600000", "--url", url])
        #expect(declared.status == 0 && declared.text.contains("with 3 partitions"), "\(declared)")
        // One publish per record: brokers that under-report a batch's high watermark (Tansu) count these exactly.
        for key in ["a", "b", "c"] {
            let published = try await CommandLineTool.run(
                ["publish", "--url", url, "--destination", topic, "--key", key, "m-\(key)"])
            #expect(published.status == 0, "\(published)")
        }
        let held = try await CommandLineTool.run(["stats", "--url", url, "--destination", topic])
        #expect(held.status == 0, "\(held)")
        #expect(Self.totalRow(held.text) == [topic, "total", "3"], "\(held)")

        let consumed = try await CommandLineTool.run([
            "consume", "--url", url, "--destination", topic, "--group", "billing", "--count", "1", "--timeout", "30",
        ])
        #expect(consumed.status == 0, "\(consumed)")
        let lag = try await CommandLineTool.run(["stats", "--url", url, "--destination", topic, "--group", "billing"])
        #expect(lag.status == 0, "\(lag)")
        // TOPIC GROUP total HIGH LAG: one of three acknowledged.
        #expect(Self.totalRow(lag.text) == [topic, "billing", "total", "3", "2"], "\(lag)")

        let deleted = try await CommandLineTool.run(["delete", "topic", topic, "--url", url])
        #expect(deleted.status == 0, "\(deleted)")
        let gone = try await CommandLineTool.run(["stats", "--url", url, "--destination", topic])
        #expect(gone.status != 0, "\(gone)")
        #expect(gone.errorLines == ["messagebus: error: topic '\(topic)' does not exist (unknownDestination)"])
    }

    @Test("RabbitMQ: declare an exchange, a queue and a binding, count, consume, delete them",
        .enabled(if: IntegrationGate.isEnabled))
    func rabbitMQRoundTrip() async throws {
        let url = BrokerURLs.rabbitMQ
        let exchange = IntegrationEnvironment.uniqueName("cli-admin")
        let queue = "\(exchange).audit"
        for arguments in [
            ["declare", "exchange", exchange, "--type", "direct"],
            ["declare", "queue", queue, "--type", "quorum", "--arg", "x-max-length=100"],
            ["declare", "binding", "--exchange", exchange, "--queue", queue, "--routing-key", "eu"],
            ["publish", "--destination", exchange, "--key", "eu", "--count", "2", "routed"],
            ["publish", "--destination", exchange, "--key", "us", "not routed to the queue"],
        ] {
            let result = try await CommandLineTool.run(arguments + ["--url", url])
            #expect(result.status == 0, "\(arguments): \(result)")
            #expect(!result.text.contains("guest:guest"), "\(result)")
        }
        let held = try await CommandLineTool.run(["stats", "--url", url, "--queue", queue])
        #expect(held.status == 0, "\(held)")
        #expect(Self.lastRow(held.text) == [queue, "-", "2", "0"], "\(held)")

        let consumed = try await CommandLineTool.run(
            ["consume", "--url", url, "--queue", queue, "--count", "1", "--timeout", "30"])
        #expect(consumed.status == 0 && consumed.text == "eu\trouted\n", "\(consumed)")
        // The broker drops the exited consumer's registration a moment after its connection closes.
        var after = try await CommandLineTool.run(["stats", "--url", url, "--queue", queue])
        try await eventually("the queue without its consumer: \(after)", timeout: .seconds(10)) {
            after = try await CommandLineTool.run(["stats", "--url", url, "--queue", queue])
            return Self.lastRow(after.text) == [queue, "-", "1", "0"]
        }

        for (arguments, expected) in [
            (["delete", "binding", "--exchange", exchange, "--queue", queue, "--routing-key", "eu"], "unbound"),
            (["delete", "queue", queue], "deleted queue '\(queue)' with 1 messages"),
            (["delete", "exchange", exchange], "deleted exchange '\(exchange)'"),
        ] {
            let result = try await CommandLineTool.run(arguments + ["--url", url])
            #expect(result.status == 0 && result.text.hasPrefix(expected), "\(arguments): \(result)")
        }
        let gone = try await CommandLineTool.run(["stats", "--url", url, "--queue", queue])
        #expect(gone.status != 0 && gone.errorLines.count == 1 && gone.errors.contains(queue), "\(gone)")
    }

    /// The cells of the table's `total` row, blanks dropped.
    static func totalRow(_ table: String) -> [String] {
        Self.cells(table.split(separator: "\n").last { $0.contains(" total ") } ?? "")
    }

    /// The cells of the table's last row.
    static func lastRow(_ table: String) -> [String] {
        Self.cells(table.split(separator: "\n").last ?? "")
    }

    private static func cells(_ line: Substring) -> [String] {
        line.split(separator: " ").map(String.init)
    }
}
