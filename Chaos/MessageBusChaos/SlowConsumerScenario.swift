import Foundation
import MessageBus

/// Sustained load with a consumer ten times slower than the publisher: the broker holds the backlog, the client's
/// buffers stay bounded by the prefetch, so this process's resident memory stays flat. Afterwards the consumer
/// speeds up and drains the backlog: nothing confirmed is lost.
struct SlowConsumerScenario {
    /// Resident memory may grow by this much over the second half of the load.
    static let residentGrowthLimit = 16 << 20

    var backend: ChaosBackend
    var duration: Duration
    var name: String {
        "\(self.backend): \(ChaosTable.seconds(self.duration)) load, consumer 10x slower (500 vs 50 msg/s)"
    }

    func run(_ environment: ChaosEnvironment) async -> ChaosRow {
        let destination = "chaos.slow.\(UUID().uuidString.prefix(8).lowercased())"
        let ledger = DeliveryLedger(prefix: "chaos-\(UUID().uuidString.prefix(8))")
        let load = ChaosLoad(ledger: ledger)
        do {
            let publisher = try await self.bus(environment, label: "slow.publisher")
            let consumer = try await self.bus(environment, label: "slow.consumer")
            let subscription = try await consumer.subscribe(
                to: destination, group: "chaos", options: SubscriptionOptions(startPosition: .earliest, prefetch: 100))
            // 10 messages of 1 KiB every 20 ms: 500 msg/s; the consumer spends 20 ms on each: 50 msg/s.
            let consuming = load.consume(subscription, processing: .milliseconds(20), batch: 10)
            let publishing = load.publish(
                on: publisher, to: destination, batchSize: 10, pause: .milliseconds(20), payloadBytes: 1024)
            var samples: [Int] = []
            let started = ContinuousClock.now
            while ContinuousClock.now - started < self.duration {
                try await Task.sleep(for: .seconds(1))
                samples.append(ProcessResources.residentBytes())
            }
            load.stopPublishing()
            await publishing.value
            let backlog = ledger.missing
            load.slowConsumerEnds()
            let drainStarted = ContinuousClock.now
            await load.drain(quiet: .seconds(15), limit: .seconds(180))
            let drainTime = ContinuousClock.now - drainStarted
            load.stopConsuming()
            await consuming.value
            await subscription.cancel()
            try await publisher.close(deadline: .seconds(10))
            try await consumer.close(deadline: .seconds(10))
            let half = samples.count / 2
            let firstHalfMax = samples[..<half].max() ?? 0
            let secondHalfMax = samples[half...].max() ?? 0
            let growth = secondHalfMax - firstHalfMax
            let notes = [
                "RSS max first half \(ProcessResources.mebibytes(firstHalfMax)), second half "
                    + "\(ProcessResources.mebibytes(secondHalfMax)) (limit +\(ProcessResources.mebibytes(Self.residentGrowthLimit))); "
                    + "backlog \(backlog) drained in \(ChaosTable.seconds(drainTime))"
            ]
            let failure = growth > Self.residentGrowthLimit
                ? "RSS grew by \(ProcessResources.mebibytes(growth)) in the second half" : nil
            return ledger.row(self.name, recovery: nil, notes: notes, failure: failure)
        } catch {
            load.stopPublishing()
            load.stopConsuming()
            return ledger.row(self.name, recovery: nil, failure: "\(error)")
        }
    }

    private func bus(_ environment: ChaosEnvironment, label: String) async throws -> any MessageBus {
        switch self.backend {
        case .rabbitMQ: try await environment.rabbitMQBus(port: environment.amqpPort, label: label)
        case .kafka: try await environment.kafkaBus(bootstrap: environment.kafkaBrokers, label: label)
        }
    }
}
