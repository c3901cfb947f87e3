import Foundation
import MessageBus
import MessageBusIntegrationSupport
import Testing

/// `messagebus check`: readiness and the broker probe table.
@Suite("messagebus check", .timeLimit(.minutes(3)))
struct CommandLineCheckTests {
    @Test("memory:// is ready and lists its capabilities")
    func memory() async throws {
        let result = try await CommandLineTool.run(["check", "--url", "memory://check"])
        #expect(result.status == 0, "\(result)")
        let lines = result.text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("CHECK") == true && lines.first?.contains("RESULT") == true, "\(result)")
        #expect(lines.contains { $0.hasPrefix("readiness") && $0.contains(" ok ") }, "\(result)")
        #expect(lines.contains { $0.hasPrefix("capabilities") && $0.contains("transactions") }, "\(result)")
    }

    @Test("Kafka: readiness, metadata and the transaction-isolation probe", .enabled(if: IntegrationGate.isEnabled))
    func kafka() async throws {
        let result = try await CommandLineTool.run(["check", "--url", BrokerURLs.kafka])
        #expect(result.status == 0, "\(result)")
        let rows = Self.rows(result.text)
        #expect(rows["readiness"] == "ok", "\(result)")
        #expect(rows["topic metadata"] == "yes", "\(result)")
        // Tansu does not isolate aborted transactions; Apache Kafka does. Either answer is a finished probe.
        #expect(["yes", "no"].contains(rows["transaction isolation"]), "\(result)")
    }

    @Test("RabbitMQ: readiness, quorum queues and streams, and the password stays hidden",
        .enabled(if: IntegrationGate.isEnabled))
    func rabbitMQ() async throws {
        let result = try await CommandLineTool.run(["check", "--url", BrokerURLs.rabbitMQ])
        #expect(result.status == 0, "\(result)")
        let rows = Self.rows(result.text)
        #expect(rows["readiness"] == "ok", "\(result)")
        #expect(rows["quorum queues"] == "yes", "\(result)")
        #expect(rows["streams"] == "yes", "\(result)")
        let url = try MessageBusURL(BrokerURLs.rabbitMQ)
        if let password = url.password, !password.isEmpty {
            #expect(!result.text.contains(":\(password)@"), "\(result)")
        }
    }

    /// The RESULT column by CHECK name (names may hold one space; columns are two or more apart).
    static func rows(_ table: String) -> [String: String] {
        var rows: [String: String] = [:]
        for line in table.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: "  ", omittingEmptySubsequences: true).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if cells.count >= 2 { rows[cells[0]] = cells[1] }
        }
        return rows
    }
}
