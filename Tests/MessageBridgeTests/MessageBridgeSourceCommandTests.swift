import Foundation
import MessageBus
import MessageBusIntegrationSupport
import MessageBusKafka
import MessageBusRabbitMQ
import Testing

/// `messagebus bridge` with the other sources: an existing RabbitMQ queue, several Kafka topics, and the errors that
/// name a bad combination.
@Suite("messagebus bridge sources (the executable)", .timeLimit(.minutes(3)))
struct MessageBridgeSourceCommandTests {
    @Test(arguments: [
        ([String](), "give one of --destination, --queue, --topics or --pattern (given: none)"),
        (["--destination", "d", "--queue", "q"], "(given: --destination 'd' and --queue 'q')"),
        (["--queue", "q", "--group", "g"], "--queue 'q' is read as it is: drop --group 'g'"),
        (["--topics", "a,b"], "--topics 'a,b' needs --group"),
        (["--queue", "q", "--dead-letters"], "--dead-letters copies <destination>.dlq: it needs --destination"),
        (["--queue", "q"], "--queue 'q' needs an amqp:// source, not memory"),
        (["--pattern", "^x", "--group", "g"], "--pattern needs a kafka:// source, not memory"),
    ])
    func aBadSourceIsNamedOnOneLine(arguments: [String], expected: String) async throws {
        let process = try BridgeProcess(["bridge", "--from", "memory://a", "--to", "memory://b"] + arguments)
        #expect(try await process.exitStatus(limit: .seconds(30)) != 0)
        let errors = process.transcript.components(separatedBy: "stderr:\n")[1].split(whereSeparator: \.isNewline)
        #expect(errors.count == 1)
        #expect(errors.first.map { $0.hasPrefix("messagebus: error: ") && $0.contains(expected) } == true, "\(errors)")
    }

    @Test(.enabled(if: IntegrationGate.isEnabled, BridgeBrokers.skipComment))
    func anExistingRabbitMQQueueIsCopiedToAKafkaTopic() async throws {
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        let destination = IntegrationEnvironment.uniqueName("bridge-queue")
        let topic = IntegrationEnvironment.uniqueName("bridge-from-queue")
        // The queue `<destination>.legacy` exists and holds the backlog; the bridge reads it as it is.
        try await rabbit.subscribe(to: destination, group: "legacy").cancel()
        let sent = (0..<50).map { BridgeTestSupport.richMessage($0) }
        try await rabbit.publish(contentsOf: sent, to: destination)
        let check = try await kafka.subscribe(
            to: topic, group: "check", options: SubscriptionOptions(startPosition: .earliest))

        let process = try BridgeProcess([
            "bridge", "--from", BridgeBrokers.amqpURL, "--to", BridgeBrokers.kafkaURL, "--queue", "\(destination).legacy",
            "--target-destination", topic, "--cut-over-idle", "2s", "--json",
        ])
        #expect(try await process.exitStatus(limit: .seconds(90)) == 0, "\(process.transcript)")
        let report = try #require(process.jsonLines.last { $0["event"] as? String == "report" }, "\(process.transcript)")

        #expect(report["copied"] as? Int == 50)
        #expect(report["sourceLag"] as? Int == 0)
        let copied = try await LiveBacklog.take(50, from: check)
        #expect(Set(copied.map(\.id)) == Set(sent.map(\.id)))
        try await kafka.close()
        try await rabbit.close()
    }

    @Test(.enabled(if: IntegrationGate.isEnabled, BridgeBrokers.skipComment))
    func kafkaTopicsAreCopiedEachToItsOwnDestination() async throws {
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        let topics = [IntegrationEnvironment.uniqueName("bridge-topic-a"), IntegrationEnvironment.uniqueName("bridge-topic-b")]
        var checks: [Subscription] = []
        for topic in topics {
            checks.append(try await rabbit.subscribe(to: topic, group: "check"))
            try await kafka.publish(contentsOf: (0..<20).map { BridgeTestSupport.richMessage($0) }, to: topic)
        }

        let process = try BridgeProcess([
            "bridge", "--from", BridgeBrokers.kafkaURL, "--to", BridgeBrokers.amqpURL,
            "--topics", topics.joined(separator: ","), "--group", "bridge", "--cut-over-idle", "2s", "--json",
        ])
        #expect(try await process.exitStatus(limit: .seconds(90)) == 0, "\(process.transcript)")
        let report = try #require(process.jsonLines.last { $0["event"] as? String == "report" }, "\(process.transcript)")

        #expect(report["copied"] as? Int == 40)
        let positions = try #require(report["positions"] as? [[String: Any]])
        #expect(Set(positions.compactMap { $0["destination"] as? String }) == Set(topics))
        for check in checks {
            #expect(try await LiveBacklog.take(20, from: check).count == 20)
        }
        try await kafka.close()
        try await rabbit.close()
    }

    @Test(.enabled(if: IntegrationGate.isEnabled, BridgeBrokers.skipComment))
    func aMessageNoTargetQueueTakesStopsTheBridgeAndStaysAtTheSource() async throws {
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        let topic = IntegrationEnvironment.uniqueName("bridge-unroutable")
        let sent = (0..<10).map { BridgeTestSupport.richMessage($0) }
        try await kafka.publish(contentsOf: sent, to: topic)
        let arguments = [
            "bridge", "--from", BridgeBrokers.kafkaURL, "--to", BridgeBrokers.amqpURL, "--destination", topic,
            "--group", "bridge", "--cut-over-idle", "2s", "--json",
        ]

        // No queue is bound to the target destination yet: RabbitMQ would drop every message.
        let refused = try BridgeProcess(arguments)
        #expect(try await refused.exitStatus(limit: .seconds(90)) != 0, "\(refused.transcript)")
        #expect(refused.transcript.contains("could not route"), "\(refused.transcript)")

        // Nothing was acknowledged at the source: with a group on the target, the next run copies every message.
        let check = try await rabbit.subscribe(to: topic, group: "check")
        let copying = try BridgeProcess(arguments)
        #expect(try await copying.exitStatus(limit: .seconds(90)) == 0, "\(copying.transcript)")
        let report = try #require(copying.jsonLines.last { $0["event"] as? String == "report" }, "\(copying.transcript)")
        #expect(report["copied"] as? Int == 10)
        let copied = try await LiveBacklog.take(10, from: check)
        #expect(Set(copied.map(\.id)) == Set(sent.map(\.id)))
        try await kafka.close()
        try await rabbit.close()
    }
}

