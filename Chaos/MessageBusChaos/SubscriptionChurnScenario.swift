import Foundation
import MessageBus

/// Many subscriptions opened and cancelled one after the other on one bus: afterwards the process has as many
/// threads and file descriptors as before, and its resident memory has not grown by more than a bound.
struct SubscriptionChurnScenario {
    /// Resident memory may grow by this much (allocator arenas, caches), not by a subscription's worth each time.
    static let residentGrowthLimit = 24 << 20

    var backend: ChaosBackend
    var count: Int
    var name: String { "\(self.backend): \(self.count) subscriptions opened and cancelled" }

    func run(_ environment: ChaosEnvironment) async -> ChaosRow {
        let destination = "chaos.churn.\(UUID().uuidString.prefix(8).lowercased())"
        do {
            let bus: any MessageBus = switch self.backend {
            case .rabbitMQ: try await environment.rabbitMQBus(port: environment.amqpPort, label: "churn")
            case .kafka: try await environment.kafkaBus(bootstrap: environment.kafkaBrokers, label: "churn")
            }
            // A few rounds first, so that one-time allocations (connections, caches, thread pools) are in the baseline.
            try await self.churn(bus, destination: destination, times: 5)
            try await Task.sleep(for: .seconds(1))
            let before = ProcessResources.current()
            let started = ContinuousClock.now
            try await self.churn(bus, destination: destination, times: self.count)
            let elapsed = ContinuousClock.now - started
            try await Task.sleep(for: .seconds(2))
            let after = ProcessResources.current()
            try await bus.close(deadline: .seconds(10))
            var failures: [String] = []
            if after.threads > before.threads { failures.append("\(after.threads - before.threads) threads more") }
            if after.descriptors > before.descriptors {
                failures.append("\(after.descriptors - before.descriptors) file descriptors more")
            }
            if after.residentBytes - before.residentBytes > Self.residentGrowthLimit {
                failures.append("RSS grew by \(ProcessResources.mebibytes(after.residentBytes - before.residentBytes))")
            }
            let perSubscription = elapsed / self.count
            return ChaosRow(
                scenario: self.name, published: 0, confirmed: 0, consumed: 0, duplicates: 0, lost: 0, recovery: nil,
                notes: [
                    "before: \(before); after: \(after); \(ChaosTable.milliseconds(perSubscription)) per subscribe + cancel"
                ],
                failure: failures.isEmpty ? nil : failures.joined(separator: ", "))
        } catch {
            return .failed(self.name, error)
        }
    }

    private func churn(_ bus: any MessageBus, destination: String, times: Int) async throws {
        for _ in 0..<times {
            let subscription = try await bus.subscribe(to: destination, group: nil)
            await subscription.cancel()
        }
    }
}
