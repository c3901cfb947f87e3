import Foundation
import MessageBus
import MessageBusIntegrationSupport
import Synchronization
import Testing

/// A live backlog for the restart tests: a publisher that keeps publishing numbered messages to a source
/// destination, and a target group that counts what arrived.
final class LiveBacklog: Sendable {
    let destination: String
    let total: Int
    let ids: [String]
    private let publishedCount = Atomic(0)

    /// How many messages the publisher has published so far.
    var published: Int { self.publishedCount.load(ordering: .relaxed) }

    init(total: Int, prefix: String) {
        self.destination = IntegrationEnvironment.uniqueName(prefix)
        self.total = total
        let run = UUID().uuidString.prefix(8)
        self.ids = (0..<total).map { "\(run)-\($0)" }
    }

    /// Publishes the messages in confirmed batches of 1,000, with a pause between batches so that publishing goes on
    /// while the bridge copies; the second half waits until `holdSecondHalf` returns `false`, so that it is published
    /// after the bridge's restart whatever the machine's speed.
    func publish(to bus: any MessageBus, pause: Duration, holdSecondHalf: @Sendable () -> Bool) async throws {
        for start in stride(from: 0, to: self.total, by: 1_000) {
            if start >= self.total / 2 {
                while holdSecondHalf() { try await Task.sleep(for: .milliseconds(10)) }
            }
            let messages = self.ids[start..<min(start + 1_000, self.total)].map { id in
                Message(payload: Array(id.utf8), key: "k\(id.hashValue & 15)", id: id, contentType: "text/plain")
            }
            try await bus.publish(contentsOf: messages, to: self.destination)
            self.publishedCount.add(messages.count, ordering: .relaxed)
            try await Task.sleep(for: pause)
        }
    }

    /// What a target group received: every delivery's id, duplicates included.
    struct Arrivals: Sendable {
        var deliveries: Int
        var uniqueIDs: Set<String>
        var duplicates: Int { self.deliveries - self.uniqueIDs.count }
    }

    /// Consumes `subscription` until every id arrived (or `quiet` passes without a delivery), then waits one more
    /// second for late duplicates.
    func collect(from subscription: Subscription, quiet: Duration = .seconds(20)) async throws -> Arrivals {
        var arrivals = Arrivals(deliveries: 0, uniqueIDs: [])
        arrivals.uniqueIDs.reserveCapacity(self.total)
        func take(timeout: Duration) async throws -> Bool {
            let batch = try await subscription.receive(max: 1_000, timeout: timeout)
            guard !batch.isEmpty else { return false }
            arrivals.deliveries += batch.count
            for delivery in batch { arrivals.uniqueIDs.insert(delivery.message.id) }
            try await batch.ackAll()
            return true
        }
        while arrivals.uniqueIDs.count < self.total, try await take(timeout: quiet) {}
        while try await take(timeout: .seconds(1)) {}
        await subscription.cancel()
        return arrivals
    }

    /// Takes `count` messages from `subscription` (acknowledged), waiting up to ten seconds for each batch, and
    /// ends the subscription.
    static func take(_ count: Int, from subscription: Subscription) async throws -> [Message] {
        var messages: [Message] = []
        while messages.count < count {
            let batch = try await subscription.receive(max: count - messages.count, timeout: .seconds(10))
            guard !batch.isEmpty else { break }
            try await batch.ackAll()
            messages += batch.map(\.message)
        }
        await subscription.cancel()
        #expect(messages.count == count)
        return messages
    }
}
