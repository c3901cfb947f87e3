import Foundation
import Synchronization
import MessageBridge
import MessageBus
import MessageBusIntegrationSupport
import MessageBusKafka
import MessageBusRabbitMQ
import Testing

/// `messagebus bridge`, the built executable: bad input, and a live backlog moved Kafka -> RabbitMQ by a process
/// that is killed with SIGKILL mid-way and started again.
@Suite("messagebus bridge (the executable)", .timeLimit(.minutes(4)))
struct MessageBridgeCommandTests {
    @Test func badInputExitsNonZeroWithOneLineErrorAndNoPassword() async throws {
        let invalid = try BridgeProcess(["bridge", "--from", "nope", "--to", "memory://", "--destination", "d", "--group", "g"])
        #expect(try await invalid.exitStatus(limit: .seconds(30)) != 0)
        #expect(invalid.transcript.contains("messagebus: error: --from: 'nope' is not a URL"))

        let badDuration = try BridgeProcess([
            "bridge", "--from", "memory://a", "--to", "memory://b", "--destination", "d", "--group", "g",
            "--cut-over-idle", "5x",
        ])
        #expect(try await badDuration.exitStatus(limit: .seconds(30)) != 0)
        #expect(badDuration.transcript.contains("'5x' is invalid for '--cut-over-idle"))

        // Nothing listens on port 1: the connection error is one line and the password is redacted.
        let unreachable = try BridgeProcess([
            "bridge", "--from", "memory://a", "--to", "amqp://guest:topsecret@127.0.0.1:1/%2F", "--destination", "d",
            "--group", "g",
        ])
        #expect(try await unreachable.exitStatus(limit: .seconds(60)) == 1)
        let errorLines = unreachable.transcript.components(separatedBy: "stderr:\n")[1]
            .split(whereSeparator: \.isNewline)
        #expect(errorLines.count == 1)
        #expect(errorLines.first?.hasPrefix("messagebus: error: ") == true)
        #expect(!unreachable.transcript.contains("topsecret"))
    }

    @Test(.enabled(if: IntegrationGate.isEnabled, BridgeBrokers.skipComment))
    func aKilledBridgeProcessRestartsWithoutLosingOrDuplicating() async throws {
        let total = 20_000
        let batchSize = 500
        let maxInFlight = 2_000
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        // The verifying consumer is effectively-once, as a target application would be; a second group counts raw
        // deliveries, to show what a crash between the target's confirmation and the store's commit republishes.
        let verifyingBus = try await BridgeBrokers.rabbitMQ(MessageBusConfiguration(
            guarantee: .effectivelyOnce(deduplicatingWith: InMemoryDeduplicationStore(capacity: 2 * total))))
        let backlog = LiveBacklog(total: total, prefix: "bridge-cli")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 2_000)
        let verifier = try await verifyingBus.subscribe(to: backlog.destination, group: "verify", options: options)
        let raw = try await rabbit.subscribe(to: backlog.destination, group: "raw", options: options)
        try await kafka.subscribe(to: backlog.destination, group: "bridge", options: options).cancel()
        let restarted = Atomic(false)
        let publisher = Task {
            try await backlog.publish(to: kafka, pause: .milliseconds(20)) { !restarted.load(ordering: .relaxed) }
        }
        let stateFile = BridgeTestSupport.temporaryStorePath()
        defer { BridgeTestSupport.removeStore(at: stateFile) }
        let arguments = [
            "bridge", "--from", BridgeBrokers.kafkaURL, "--to", BridgeBrokers.amqpURL,
            "--destination", backlog.destination, "--group", "bridge", "--state-file", stateFile,
            "--cut-over-idle", "3s", "--batch-size", String(batchSize),
            "--max-in-flight", String(maxInFlight), "--json",
        ]

        let first = try BridgeProcess(arguments)
        try await first.waitUntil(limit: .seconds(90)) { lines in
            lines.contains { ($0["copied"] as? Int ?? 0) >= total / 4 }
        }
        try await first.kill()
        let copiedBeforeTheKill = try await SQLiteDeduplicationStore(path: stateFile).count()
        restarted.store(true, ordering: .relaxed)
        let second = try BridgeProcess(arguments)
        let status = try await second.exitStatus(limit: .seconds(120))
        try await publisher.value
        let verified = try await backlog.collect(from: verifier)
        let rawArrivals = try await backlog.collect(from: raw)

        #expect(status == 0, "\(second.transcript)")
        let report = try #require(second.jsonLines.last { $0["event"] as? String == "report" }, "\(second.transcript)")
        print("bridge CLI kafka -> rabbitmq: \(total) messages; \(copiedBeforeTheKill) copied before SIGKILL; after "
            + "the restart \(report["copied"] ?? "?") copied, \(report["duplicatesSkipped"] ?? "?") skipped; raw "
            + "duplicates at the target: \(rawArrivals.duplicates)")
        #expect(report["stopReason"] as? String == "cut-over")
        #expect(verified.uniqueIDs == Set(backlog.ids), "lost: \(total - verified.uniqueIDs.count)")
        #expect(verified.duplicates == 0)
        #expect(rawArrivals.uniqueIDs == Set(backlog.ids))
        // Only what was in flight between the target's confirmation and the store's commit at the kill can come twice.
        #expect(rawArrivals.duplicates <= maxInFlight)
        #expect(copiedBeforeTheKill > 0 && copiedBeforeTheKill < total)
        #expect(report["copied"] as? Int == total - copiedBeforeTheKill)
        #expect(report["sourceLag"] as? Int == 0)
        #expect(try await SQLiteDeduplicationStore(path: stateFile).count() == total)
        try await verifyingBus.close()
        try await kafka.close()
        try await rabbit.close()
    }
}
