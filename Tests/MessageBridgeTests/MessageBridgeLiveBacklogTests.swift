import Foundation
import Synchronization
import MessageBridge
import MessageBus
import MessageBusIntegrationSupport
import MessageBusKafka
import MessageBusRabbitMQ
import Testing

/// A live backlog moved between the real brokers in both directions while a publisher keeps publishing (its second
/// half after the restart), with the bridge cancelled a quarter of the way and started again (a new bridge and a new store instance on the same state
/// file, as a restarted process has): nothing lost, nothing duplicated, and the reports add up.
@Suite(
    "Message bridge live backlog (Kafka <-> RabbitMQ)",
    .enabled(if: IntegrationGate.isEnabled, BridgeBrokers.skipComment), .timeLimit(.minutes(5)))
struct MessageBridgeLiveBacklogTests {
    /// The backlog size; MESSAGEBUS_BRIDGE_TEST_MESSAGES overrides it.
    static let total = Int(IntegrationEnvironment.value(of: "MESSAGEBUS_BRIDGE_TEST_MESSAGES", default: "100000")) ?? 100_000

    @Test func kafkaToRabbitMQ() async throws {
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        let backlog = LiveBacklog(total: Self.total, prefix: "bridge-k2r")
        let (first, second) = try await self.move(backlog, from: kafka, to: rabbit, lag: {
            try await kafka.consumerLag(group: "bridge", destination: backlog.destination).reduce(0) { $0 + $1.lag }
        })
        // Kafka offsets start at 0 in every partition and have no gaps: the last offsets copied per partition add up
        // to the backlog.
        #expect(first.positions.allSatisfy { $0.unit == .offset && $0.first == 0 })
        let lastOffsets = Dictionary((first.positions + second.positions).map { ($0.partition, $0.last) }, uniquingKeysWith: max)
        #expect(lastOffsets.values.reduce(0) { $0 + Int($1) + 1 } == backlog.total)
        try await kafka.close()
        try await rabbit.close()
    }

    @Test func rabbitMQToKafka() async throws {
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        let backlog = LiveBacklog(total: Self.total, prefix: "bridge-r2k")
        let (first, second) = try await self.move(backlog, from: rabbit, to: kafka, lag: {
            Int64(try await rabbit.inspectQueue("\(backlog.destination).bridge").messageCount)
        })
        // RabbitMQ has no offsets: the positions are the delivery tags of each run's subscription, settled in order.
        for report in [first, second] {
            let range = try #require(report.positions.first)
            #expect(report.positions.count == 1 && range.unit == .deliveryTag && range.first == 1)
            #expect(range.last == Int64(report.copied + report.duplicatesSkipped))
        }
        try await kafka.close()
        try await rabbit.close()
    }

    /// Moves `backlog` while it is published, cancelling the first bridge a quarter of the way; returns both reports
    /// after checking the target and the figures.
    private func move(
        _ backlog: LiveBacklog, from source: any MessageBus, to target: any MessageBus,
        lag: @escaping @Sendable () async throws -> Int64
    ) async throws -> (MessageBridgeReport, MessageBridgeReport) {
        let path = BridgeTestSupport.temporaryStorePath()
        defer { BridgeTestSupport.removeStore(at: path) }
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 2_000)
        // Both groups exist before the first message: a RabbitMQ destination keeps messages only for bound queues.
        let verifier = try await target.subscribe(to: backlog.destination, group: "verify", options: options)
        try await source.subscribe(to: backlog.destination, group: "bridge", options: options).cancel()
        let started = ContinuousClock.now
        let restarted = Atomic(false)
        let publisher = Task {
            try await backlog.publish(to: source, pause: .milliseconds(20)) { !restarted.load(ordering: .relaxed) }
        }

        func bridge() throws -> MessageBridge {
            MessageBridge(
                from: source, to: target, source: .destination(backlog.destination, group: "bridge"),
                options: MessageBridgeOptions(
                    deduplicationStore: try SQLiteDeduplicationStore(path: path), cutOverIdle: .seconds(3),
                    progressInterval: .milliseconds(100), sourceLag: lag),
                logger: BridgeTestSupport.logger("test.bridge"))
        }
        let progress = SnapshotRecorder()
        let firstRun = Task { try await bridge().run { progress.append($0) } }
        try await eventually("a quarter of the backlog copied", timeout: .seconds(240)) {
            (progress.all.last?.copied ?? 0) >= backlog.total / 4
        }
        firstRun.cancel()
        let first = try await firstRun.value
        let publishedAtRestart = backlog.published
        restarted.store(true, ordering: .relaxed)
        let second = try await bridge().run()
        try await publisher.value
        let arrivals = try await backlog.collect(from: verifier)
        let elapsed = ContinuousClock.now - started

        print("bridge \(source.backend) -> \(target.backend): \(backlog.total) messages in \(elapsed) "
            + "(first run \(first.copied) copied in \(first.elapsed), second \(second.copied) copied and "
            + "\(second.duplicatesSkipped) skipped in \(second.elapsed); published at the restart: "
            + "\(publishedAtRestart))")
        // The restart happened while the publisher was still publishing.
        #expect(publishedAtRestart <= backlog.total / 2)
        #expect(first.stopReason == .cancelled && second.stopReason == .cutOver)
        #expect(arrivals.uniqueIDs == Set(backlog.ids), "lost: \(backlog.total - arrivals.uniqueIDs.count)")
        #expect(arrivals.duplicates == 0)
        #expect(first.copied + second.copied == backlog.total)
        #expect(first.duplicatesSkipped == 0)
        #expect(first.final.inFlight == 0 && second.final.inFlight == 0)
        #expect(second.final.sourceLag == 0)
        #expect(try await SQLiteDeduplicationStore(path: path).count() == backlog.total)
        return (first, second)
    }
}
