import MessageBusIntegrationSupport
import Foundation
import Logging
import MessageBus
import MessageBusRabbitMQ
import Synchronization
import Testing

/// The broker restarted (stopped and started again) under a confirming publisher and a consumer, on a node of the
/// test's own: the client recovers by itself and every confirmed message is consumed.
@Suite(
    "RabbitMQ broker restart (own node)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(2))
)
struct RabbitMQBrokerRestartTests {
    static let node = TestNode(name: "messagebus-restart", amqpPort: 5682, distributionPort: 25682)

    @Test("a restart loses no confirmed message; duplicates are counted")
    func restartLosesNoConfirmedMessage() async throws {
        try await Self.node.start()
        do {
            try await self.runRestart()
        } catch {
            await Self.node.wipe()
            throw error
        }
        await Self.node.wipe()
    }

    private func runRestart() async throws {
        let configuration = RabbitMQConfiguration(
            endpoints: [RabbitMQEndpoint(host: "127.0.0.1", port: Self.node.amqpPort)], heartbeat: .seconds(5),
            connectionTimeout: .seconds(2), requestTimeout: .seconds(5),
            recovery: RabbitMQRecoveryPolicy(
                initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(500), giveUpAfter: .seconds(40)))
        let common = MessageBusConfiguration(publishTimeout: .seconds(40))
        let publisher = try await RabbitMQMessageBus(
            rabbitMQ: configuration, configuration: common, logger: Logger(label: "restart.publisher"))
        let consumer = try await RabbitMQMessageBus(
            rabbitMQ: configuration, configuration: common, logger: Logger(label: "restart.consumer"))
        let destination = "test.restart"
        let subscription = try await consumer.subscribe(
            to: destination, group: "workers", options: SubscriptionOptions(prefetch: 200))
        let shared = RestartState()

        let publishing = Task {
            var next = 0
            while !shared.stopPublishing.load(ordering: .relaxed) {
                let batch = (next..<next + 20).map { Message(text: "m\($0)", id: "m\($0)") }
                next += batch.count
                shared.figures.withLock { $0.published += batch.count }
                do {
                    try await publisher.publish(contentsOf: batch, to: destination)
                    shared.figures.withLock { $0.confirmed.formUnion(batch.map(\.id)) }
                } catch {
                    shared.figures.withLock { $0.publishErrors.append("\(error)") }
                }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        let consuming = Task {
            while !shared.stopConsuming.load(ordering: .relaxed) {
                let batch: [Delivery]
                do {
                    batch = try await subscription.receive(max: 200, timeout: .milliseconds(300))
                } catch {
                    shared.figures.withLock { $0.consumeErrors.append("\(error)") }
                    return
                }
                shared.figures.withLock { figures in
                    for delivery in batch { figures.deliveries[delivery.message.id, default: 0] += 1 }
                }
                // Deliveries of the connection before the restart can no longer be settled; the broker redelivers them.
                do { try await batch.ackAll() } catch { shared.figures.withLock { $0.staleAcks += 1 } }
            }
        }

        func waitUntil(_ what: String, within limit: Duration, _ condition: (RestartFigures) -> Bool) async throws {
            try await eventually(what, timeout: limit) { shared.figures.withLock { condition($0) } }
        }

        do {
            try await waitUntil("500 confirmed before the restart", within: .seconds(15)) { $0.confirmed.count >= 500 }
            let stoppedAt = ContinuousClock.now
            try await Self.node.stop()
            let confirmedWhileDown = shared.figures.withLock { $0.confirmed.count }
            try await Self.node.start()
            let downFor = ContinuousClock.now - stoppedAt
            try await waitUntil("500 more confirmed after the restart", within: .seconds(30)) {
                $0.confirmed.count >= confirmedWhileDown + 500
            }
            shared.stopPublishing.store(true, ordering: .relaxed)
            await publishing.value
            try await waitUntil("every confirmed message consumed", within: .seconds(20)) {
                $0.confirmed.isSubset(of: $0.deliveries.keys)
            }
            shared.stopConsuming.store(true, ordering: .relaxed)
            await consuming.value
            let final = shared.figures.withLock { $0 }
            print(
                "RabbitMQ restart figures: published \(final.published), confirmed \(final.confirmed.count), "
                    + "consumed \(final.deliveries.count) (\(final.deliveries.values.reduce(0, +)) deliveries), "
                    + "duplicates \(final.duplicates), lost \(final.lost), publish errors \(final.publishErrors.count), "
                    + "stale acks refused \(final.staleAcks); node down and up again in \(downFor.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
            #expect(final.lost == 0, "confirmed but never consumed: \(final.lostIDs.prefix(10))")
            #expect(final.consumeErrors.isEmpty, "\(final.consumeErrors)")
            #expect(final.publishErrors.isEmpty, "publishes that failed (not counted as confirmed): \(final.publishErrors.prefix(3))")
        } catch {
            shared.stopPublishing.store(true, ordering: .relaxed)
            shared.stopConsuming.store(true, ordering: .relaxed)
            publishing.cancel()
            consuming.cancel()
            let snapshot = shared.figures.withLock { $0 }
            print("RabbitMQ restart figures at failure: \(snapshot.summary)")
            try? await publisher.close(deadline: .seconds(1))
            try? await consumer.close(deadline: .seconds(1))
            throw error
        }
        try await publisher.close(deadline: .seconds(5))
        try await consumer.close(deadline: .seconds(5))
    }
}

/// The state the restart test's publisher, consumer and driver share.
final class RestartState: Sendable {
    let figures = Mutex(RestartFigures())
    let stopPublishing = Atomic(false)
    let stopConsuming = Atomic(false)
}

/// What the restart test counted.
struct RestartFigures: Sendable {
    var published = 0
    var confirmed = Set<String>()
    /// How many times each message id was delivered.
    var deliveries: [String: Int] = [:]
    var publishErrors: [String] = []
    var consumeErrors: [String] = []
    var staleAcks = 0

    var duplicates: Int { self.deliveries.values.reduce(0) { $0 + $1 - 1 } }
    var lostIDs: [String] { self.confirmed.filter { self.deliveries[$0] == nil }.sorted() }
    var lost: Int { self.lostIDs.count }
    var summary: String {
        "published \(self.published), confirmed \(self.confirmed.count), consumed \(self.deliveries.count), "
            + "duplicates \(self.duplicates), lost \(self.lost), publish errors \(self.publishErrors.prefix(3))"
    }
}
