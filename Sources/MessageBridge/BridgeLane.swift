import Logging
import MessageBus

/// Copies one source subscription to the target: the messages, or the dead letters.
///
/// Two stages overlap: a receiver takes batches from the source into a channel of two batches, while the copier
/// de-duplicates, publishes (confirmed) and acknowledges the previous one. The subscription's prefetch bounds what
/// is in flight, so memory stays bounded whatever the backlog.
struct BridgeLane: Sendable {
    let subscription: Subscription
    let target: any MessageBus
    let options: MessageBridgeOptions
    /// Whether this lane carries dead letters (counted apart from copied messages).
    let carriesDeadLetters: Bool
    let statistics: BridgeStatistics
    let logger: Logger

    /// Copies until the task is cancelled; throws the first failure of the source, the target or the store
    /// (deliveries not yet acknowledged then go back to the source when the subscription is cancelled).
    func run() async throws {
        let batches = AsyncBoundedChannel<[Delivery]>(capacity: 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { batches.finish() }
                try await self.receive(into: batches)
            }
            group.addTask {
                do {
                    try await self.copy(from: batches)
                } catch {
                    // Unblocks the receiver if it waits for room, so the group can end.
                    batches.finish()
                    throw error
                }
            }
            try await group.waitForAll()
        }
    }

    private func receive(into batches: AsyncBoundedChannel<[Delivery]>) async throws {
        while !Task.isCancelled {
            let batch = try await self.subscription.receive(max: self.options.batchSize, timeout: self.options.pollInterval)
            guard !batch.isEmpty else { continue }
            self.statistics.received(batch.count)
            guard await batches.send(batch) else {
                self.statistics.abandoned(batch.count)
                return
            }
        }
    }

    private func copy(from batches: AsyncBoundedChannel<[Delivery]>) async throws {
        while let batch = await batches.receive() {
            guard !Task.isCancelled else {
                // Stopping: what is left goes back to the source unacknowledged when the subscription ends.
                self.statistics.abandoned(batch.count)
                continue
            }
            // A batch that started completes even when the bridge is cancelled meanwhile: stopping between its
            // publish and its acknowledgement would only make the source redeliver what the target already has.
            let task = Task { try await self.copy(batch) }
            try await task.value
        }
    }

    /// De-duplicates, publishes, remembers and acknowledges one batch.
    private func copy(_ batch: [Delivery]) async throws {
        do {
            let keys = batch.map { self.deduplicationKey(for: $0) }
            let fresh = try await self.freshIndices(keys: keys)
            for (destination, messages) in self.groupedByTarget(batch, indices: fresh) {
                try await self.target.publish(contentsOf: messages, to: destination)
            }
            if let store = self.options.deduplicationStore, !fresh.isEmpty {
                try await store.remember(fresh.map { keys[$0] })
            }
            try await batch.ackAll()
            self.statistics.settled(
                batch, published: fresh.count, duplicates: batch.count - fresh.count,
                deadLetters: self.carriesDeadLetters)
        } catch {
            self.statistics.abandoned(batch.count)
            self.logger.debug("batch failed", metadata: ["count": "\(batch.count)", "error": "\(error)"])
            throw error
        }
    }

    /// The positions in the batch of the messages to publish: those whose key the store does not know, each key
    /// once.
    private func freshIndices(keys: [String]) async throws -> [Int] {
        guard let store = self.options.deduplicationStore else { return Array(keys.indices) }
        let known = try await store.knownKeys(keys)
        var seen = Set<String>()
        seen.reserveCapacity(keys.count)
        return keys.indices.filter { !known.contains(keys[$0]) && seen.insert(keys[$0]).inserted }
    }

    /// The messages at `indices`, grouped by target destination in order of first appearance (a batch from one
    /// destination is one group, and one confirmed publish).
    private func groupedByTarget(_ batch: [Delivery], indices: [Int]) -> [(String, [Message])] {
        var groups: [(String, [Message])] = []
        var positionOfDestination: [String: Int] = [:]
        for index in indices {
            let delivery = batch[index]
            let destination = self.options.targetDestination(delivery.destination)
            if let position = positionOfDestination[destination] {
                groups[position].1.append(delivery.message)
            } else {
                positionOfDestination[destination] = groups.count
                groups.append((destination, [delivery.message]))
            }
        }
        return groups
    }

    /// The target destination and the message id: the same id published to another destination is not a
    /// duplicate.
    private func deduplicationKey(for delivery: Delivery) -> String {
        "\(self.options.targetDestination(delivery.destination))\u{1F}\(delivery.message.id)"
    }
}

extension DeduplicationStore {
    /// Which of `keys` the store knows: one transaction on a ``SQLiteDeduplicationStore``, one call per key
    /// elsewhere.
    func knownKeys(_ keys: [String]) async throws -> Set<String> {
        if let sqlite = self as? SQLiteDeduplicationStore { return try await sqlite.containedKeys(keys) }
        var known = Set<String>()
        for key in keys where await self.contains(key) { known.insert(key) }
        return known
    }

    /// Remembers `keys`: one transaction on a ``SQLiteDeduplicationStore``, one call per key elsewhere.
    func remember(_ keys: [String]) async throws {
        if let sqlite = self as? SQLiteDeduplicationStore { return try await sqlite.insert(contentsOf: keys) }
        for key in keys { await self.insert(key) }
    }
}
