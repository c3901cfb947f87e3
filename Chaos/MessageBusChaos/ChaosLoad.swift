import Foundation
import MessageBus
import Synchronization

/// A confirming publisher and a consumer that run until told to stop, recording everything in a ledger.
///
/// The publisher publishes batches (each `publish(contentsOf:)` returns once the broker confirmed them) and counts
/// a batch whose publish throws as not confirmed; the consumer receives in batches and acknowledges them. An ack
/// that fails (its connection was lost) is ignored: the broker redelivers, and the ledger counts the duplicate.
final class ChaosLoad: Sendable {
    let ledger: DeliveryLedger
    private let publishing = Atomic<Bool>(true)
    private let consumingSlowly = Atomic<Bool>(true)
    private let consuming = Atomic<Bool>(true)

    init(ledger: DeliveryLedger) {
        self.ledger = ledger
    }

    /// Publishes batches of `batchSize` every `pause` until ``stopPublishing()``.
    func publish(
        on bus: any MessageBus, to destination: String, batchSize: Int = 10, pause: Duration = .milliseconds(10),
        payloadBytes: Int = 100
    ) -> Task<Void, Never> {
        let payload = [UInt8](repeating: 0x61, count: payloadBytes)
        return Task {
            while self.publishing.load(ordering: .relaxed) {
                let batch = self.ledger.reserve(batchSize)
                let messages = batch.map { Message(payload: payload, key: "k\($0 % 16)", id: self.ledger.id($0)) }
                do {
                    try await bus.publish(contentsOf: messages, to: destination)
                    self.ledger.confirmed(batch)
                } catch {
                    self.ledger.publishFailed(batch, error)
                }
                try? await Task.sleep(for: pause)
            }
        }
    }

    /// Receives and acknowledges until ``stopConsuming()``; while ``slowConsumerEnds()`` has not been called, each
    /// delivery first takes `processing`.
    func consume(_ subscription: Subscription, processing: Duration = .zero, batch: Int = 100) -> Task<Void, Never> {
        Task {
            while self.consuming.load(ordering: .relaxed) {
                let deliveries: [Delivery]
                do {
                    deliveries = try await subscription.receive(max: batch, timeout: .milliseconds(200))
                } catch {
                    try? await Task.sleep(for: .milliseconds(50))
                    continue
                }
                if processing > .zero, self.consumingSlowly.load(ordering: .relaxed) {
                    for _ in deliveries { try? await Task.sleep(for: processing) }
                }
                self.ledger.consumed(ids: deliveries.map(\.message.id))
                try? await deliveries.ackAll()
            }
        }
    }

    func stopPublishing() { self.publishing.store(false, ordering: .relaxed) }
    func slowConsumerEnds() { self.consumingSlowly.store(false, ordering: .relaxed) }
    func stopConsuming() { self.consuming.store(false, ordering: .relaxed) }

    /// Waits until every confirmed message was consumed, or no new message was consumed for `quiet`, or `limit`.
    func drain(quiet: Duration = .seconds(10), limit: Duration = .seconds(60)) async {
        let deadline = ContinuousClock.now + limit
        var lastProgress = ContinuousClock.now
        var lastCount = self.ledger.consumedCount
        while self.ledger.missing > 0, ContinuousClock.now < deadline, ContinuousClock.now - lastProgress < quiet {
            try? await Task.sleep(for: .milliseconds(100))
            let count = self.ledger.consumedCount
            if count != lastCount {
                lastCount = count
                lastProgress = .now
            }
        }
    }

    /// Waits until ``DeliveryLedger/recovery`` is known, or `limit`; returns it.
    func awaitRecovery(limit: Duration) async -> Duration? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let recovery = self.ledger.recovery { return recovery }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}
