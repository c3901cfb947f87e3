import Logging
import MessageBus
import Synchronization

/// Copies one source subscription to the target: the messages, or the dead letters.
///
/// Three stages overlap, each one task, joined by channels of a few batches:
/// 1. the receiver takes batches from the source;
/// 2. the sender drops the messages already copied (the store, plus what is sent and not yet recorded) and hands
///    the others to the target client in order (``/MessageBus/MessageBus/send(contentsOf:to:)``);
/// 3. the confirmer waits for the target's confirmation of everything sent (``TargetConfirmation``), records the
///    ids in the store (one transaction per batch) and only then acknowledges the batch on the source.
///
/// So the target confirms a window of batches at once rather than one batch per round trip, and the subscription's
/// prefetch still bounds what is in flight, so memory stays bounded whatever the backlog.
final class BridgeLane: Sendable {
    let subscription: Subscription
    let target: any MessageBus
    let confirmation: TargetConfirmation
    let options: MessageBridgeOptions
    /// Whether this lane carries dead letters (counted apart from copied messages).
    let carriesDeadLetters: Bool
    let statistics: BridgeStatistics
    let logger: Logger
    /// Keys sent to the target and not yet in the store: a redelivery arriving meanwhile is a duplicate too.
    private let unrecorded = Mutex<Set<String>>([])

    init(
        subscription: Subscription, target: any MessageBus, confirmation: TargetConfirmation,
        options: MessageBridgeOptions, carriesDeadLetters: Bool, statistics: BridgeStatistics, logger: Logger
    ) {
        self.subscription = subscription
        self.target = target
        self.confirmation = confirmation
        self.options = options
        self.carriesDeadLetters = carriesDeadLetters
        self.statistics = statistics
        self.logger = logger
    }

    /// A batch handed to the target and waiting for its confirmation.
    private struct SentBatch: Sendable {
        var deliveries: [Delivery]
        /// The keys of the messages sent (the others were duplicates).
        var sentKeys: [String]
    }

    /// Copies until the task is cancelled; throws the first failure of the source, the target or the store
    /// (deliveries not yet acknowledged then go back to the source when the subscription is cancelled).
    func run() async throws {
        let received = AsyncBoundedChannel<[Delivery]>(capacity: 2)
        let sent = AsyncBoundedChannel<SentBatch>(
            capacity: max(2, self.options.maxInFlight / self.options.batchSize))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { received.finish() }
                try await self.receive(into: received)
            }
            group.addTask {
                defer { sent.finish() }
                do {
                    try await self.send(from: received, into: sent)
                } catch {
                    received.finish()
                    throw error
                }
            }
            group.addTask {
                do {
                    try await self.confirm(from: sent)
                } catch {
                    // Unblocks the other stages if they wait for room, so the group can end.
                    sent.finish()
                    received.finish()
                    throw error
                }
            }
            // `next()` rethrows the first failure at once, and leaving the group cancels the other stages
            // (`waitForAll()` would wait for the receiver, which polls until cancelled).
            while try await group.next() != nil {}
        }
    }

    private func receive(into received: AsyncBoundedChannel<[Delivery]>) async throws {
        while !Task.isCancelled {
            let batch: [Delivery]
            do {
                batch = try await self.subscription.receive(max: self.options.batchSize, timeout: self.options.pollInterval)
            } catch is CancellationError {
                return  // stopping: a receive the cancellation interrupted took nothing
            }
            guard !batch.isEmpty else { continue }
            self.statistics.received(batch.count)
            guard await received.send(batch) else {
                self.statistics.abandoned(batch.count)
                return
            }
        }
    }

    private func send(
        from received: AsyncBoundedChannel<[Delivery]>, into sent: AsyncBoundedChannel<SentBatch>
    ) async throws {
        while let batch = await received.receive() {
            guard !Task.isCancelled else {
                // Stopping: what is left goes back to the source unacknowledged when the subscription ends.
                self.statistics.abandoned(batch.count)
                continue
            }
            do {
                // A batch once started is sent whole, in a task the bridge's cancellation does not reach: cut short,
                // the part already sent would be published again by the next run.
                let sending = Task { try await self.send(batch) }
                let sentKeys = try await sending.value
                guard await sent.send(SentBatch(deliveries: batch, sentKeys: sentKeys)) else {
                    self.statistics.abandoned(batch.count)
                    return
                }
            } catch {
                self.statistics.abandoned(batch.count)
                throw error
            }
        }
    }

    /// Sends the messages of `batch` not copied before to the target; returns their de-duplication keys.
    private func send(_ batch: [Delivery]) async throws -> [String] {
        let keys = batch.map { self.deduplicationKey(for: $0) }
        let fresh = try await self.freshIndices(keys: keys)
        let sentKeys = fresh.map { keys[$0] }
        self.unrecorded.withLock { $0.formUnion(sentKeys) }
        for (destination, messages) in self.groupedByTarget(batch, indices: fresh) {
            try await self.target.send(contentsOf: messages, to: destination)
        }
        return sentKeys
    }

    /// Confirms, records and acknowledges every batch the sender handed over, cancelled or not: what was sent
    /// reaches the target anyway, and leaving it unrecorded would make a restarted bridge publish it again.
    private func confirm(from sent: AsyncBoundedChannel<SentBatch>) async throws {
        while let batch = await sent.receive() {
            let task = Task { try await self.confirm(batch) }
            try await task.value
        }
    }

    private func confirm(_ batch: SentBatch) async throws {
        do {
            if !batch.sentKeys.isEmpty {
                try await self.confirmation.confirmSent()
                if let store = self.options.deduplicationStore { try await store.remember(batch.sentKeys) }
            }
            do {
                try await batch.deliveries.ackAll()
            } catch let error as MessageBusError where error.code == .alreadySettled {
                // The source gave these to its group again (a lost connection, say) after they were
                // copied and confirmed: with a store they come back as duplicates and are skipped, without one
                // they are copied again (at-least-once). Not a reason to stop the bridge.
                self.logger.notice(
                    "copied deliveries could not be acknowledged at the source; it delivers them again",
                    metadata: ["count": "\(batch.deliveries.count)", "error": "\(error)"])
            }
            self.unrecorded.withLock { $0.subtract(batch.sentKeys) }
            self.statistics.settled(
                batch.deliveries, published: batch.sentKeys.count,
                duplicates: batch.deliveries.count - batch.sentKeys.count, deadLetters: self.carriesDeadLetters)
        } catch {
            self.statistics.abandoned(batch.deliveries.count)
            self.logger.debug(
                "batch failed", metadata: ["count": "\(batch.deliveries.count)", "error": "\(error)"])
            throw error
        }
    }

    /// The positions in the batch of the messages to send: those whose key neither the store nor the batches
    /// awaiting confirmation know, each key once.
    private func freshIndices(keys: [String]) async throws -> [Int] {
        guard let store = self.options.deduplicationStore else { return Array(keys.indices) }
        let stored = try await store.knownKeys(keys)
        var seen = self.unrecorded.withLock { unrecorded in Set(keys.filter { unrecorded.contains($0) }) }
        seen.formUnion(stored)
        return keys.indices.filter { seen.insert(keys[$0]).inserted }
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
