import Foundation
import MessageBus
import Synchronization

/// The demo's scenario: a shop publishes orders; billing consumes them. One order fails once and succeeds on its
/// retry; one order is invalid and is dead-lettered; everything else is acknowledged on the first attempt.
struct OrderDemo {
    struct Order: Codable, Sendable {
        var number: Int
        var customer: String
        var amount: Double
    }

    struct Report: Sendable {
        var backend = ""
        var published = 0
        var deliveries = 0
        var acknowledged: [Int] = []
        var retried: [Int] = []
        var deadLettered: [(number: Int, reason: String)] = []

        func summary(url: MessageBusURL) -> String {
            """
            [\(self.backend)] \(url)
              published      \(self.published) orders to one destination
              consumed       \(self.deliveries) deliveries of them in group 'billing'
              acknowledged   \(self.acknowledged.count): \(self.acknowledged.sorted().map(String.init).joined(separator: " "))
              retried        \(self.retried.count): \(self.retried.map { "#\($0) failed on attempt 1 and was redelivered" }.joined(separator: "; "))
              dead-lettered  \(self.deadLettered.count): \(self.deadLettered.map { "#\($0.number) (\($0.reason))" }.joined(separator: "; "))
            """
        }
    }

    private struct TransientFailure: Error, CustomStringConvertible {
        var description: String { "payment service timed out" }
    }

    let orderCount: Int

    func run(on target: BusTarget) async throws -> Report {
        let bus = try await target.connect()
        let destination = "demo.orders.\(UUID().uuidString.prefix(8).lowercased())"
        let subscription = try await bus.subscribe(
            to: destination, group: "billing", options: SubscriptionOptions(startPosition: .earliest, prefetch: 16))
        let deadLetters = try await bus.subscribe(
            to: "\(destination).dlq", group: "support", options: SubscriptionOptions(startPosition: .earliest))
        let orders = (1...max(3, self.orderCount)).map { number in
            Order(number: number, customer: "customer-\(number % 3)", amount: number == 3 ? -5 : Double(number) * 10)
        }
        for order in orders {
            try await bus.publish(order, to: destination, key: order.customer, id: "order-\(order.number)")
        }
        let report = Mutex(Report(backend: bus.backend, published: orders.count))
        let failOnce = 2
        let consumer = Task {
            try await subscription.process(retry: RetryPolicy(maxAttempts: 3)) { delivery in
                report.withLock { $0.deliveries += 1 }
                let order = try delivery.decode(Order.self)
                if order.amount < 0 {
                    try await delivery.reject(reason: "negative amount \(order.amount)")
                    return
                }
                if order.number == failOnce && delivery.attempt == 1 {
                    report.withLock { $0.retried.append(order.number) }
                    throw TransientFailure()
                }
                report.withLock { $0.acknowledged.append(order.number) }
            }
        }
        for dead in try await self.receive(1, from: deadLetters) {
            let number = (try? dead.decode(Order.self).number) ?? -1
            let reason = dead.message.headers[WellKnownHeader.deadLetterReason] ?? "?"
            report.withLock { $0.deadLettered.append((number, reason)) }
            try await dead.ack()
        }
        let deadline = ContinuousClock.now.advanced(by: .seconds(60))
        while report.withLock({ $0.acknowledged.count }) < orders.count - 1, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        consumer.cancel()
        _ = await consumer.result
        try await bus.close()
        return report.withLock { $0 }
    }

    private func receive(_ count: Int, from subscription: Subscription) async throws -> [Delivery] {
        var received: [Delivery] = []
        while received.count < count {
            let batch = try await subscription.receive(max: count - received.count, timeout: .seconds(60))
            guard !batch.isEmpty else { throw MessageBusError(.timeout, "no dead letter arrived within 60 s") }
            received += batch
        }
        return received
    }
}
