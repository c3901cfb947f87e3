import MessageBus
import Synchronization
import Logging

/// One Kafka subscription: a group member on its own consumer thread, the bounded buffer between that thread and
/// Swift, and the acknowledgement bookkeeping that decides which offsets are committed.
///
/// In flight (buffered plus handed out and unsettled) never exceeds the prefetch: the consumer thread only takes
/// as many records as there is room for and pauses its partitions when there is none.
final class KafkaSubscription: DeliverySource, RDKafkaConsumerOwner, Sendable {
    let prefetch: Int
    let requiresAcknowledgement: Bool
    /// The room that wakes a full consumer thread: half the prefetch, so that it takes records in batches and is
    /// woken once per batch, never once per settled delivery.
    private let refillRoom: Int
    private let state = Mutex(KafkaSubscriptionState())
    private let contextBox = Mutex<SubscriptionContext?>(nil)
    private let topicContexts = Mutex<(make: (@Sendable (String) -> SubscriptionContext)?, made: [String: SubscriptionContext])>(
        (nil, [:]))
    private let consumerBox = Mutex<RDKafkaConsumer?>(nil)
    /// The last delivery tag issued. Only the consumer thread issues tags (through ``KafkaDeliveryBuilder``,
    /// outside the state lock), and only that thread assigns partitions, so a partition's tag floor separates its
    /// deliveries from those of earlier assignments exactly.
    private let lastTag = Atomic<UInt64>(0)
    /// Buffered plus outstanding deliveries (`Int.max` once closed), stored under the state lock whenever they
    /// change, so that the consumer thread reads its room without contending for the lock on every poll. Only the
    /// consumer thread raises it, so a stale read only ever under-states the room.
    private let inFlight = Atomic(0)
    let assignedSignal = AsyncOneShot<Void>()
    private let onCancel: @Sendable (KafkaSubscription) -> Void

    init(prefetch: Int, requiresAcknowledgement: Bool, onCancel: @escaping @Sendable (KafkaSubscription) -> Void) {
        self.prefetch = prefetch
        self.requiresAcknowledgement = requiresAcknowledgement
        self.refillRoom = max(1, prefetch / 2)
        self.onCancel = onCancel
    }

    deinit {
        // Dropped without cancel(): the consumer thread still leaves the group (committing what was acknowledged,
        // so the rest goes to the other members), destroys its client and ends; this does not wait for it. The
        // acknowledged offsets it has not stored yet go with the request: it can no longer ask for them.
        let unstored = self.state.withLock { $0.takeOffsetsToStore() }
        self.consumerBox.withLock { $0 }?.requestStop(storingFirst: unstored)
    }

    /// Connects the subscription to its context (which needs the settler, which needs this object); before the
    /// consumer starts, so that no polled record finds the subscription without one.
    ///
    /// - Parameters:
    ///   - context: The subscription's context.
    ///   - perTopic: For a subscription to several topics (or a pattern), makes the context of each topic its
    ///     deliveries carry, so that their destination, dead-letter destination and committed offsets are the
    ///     topic's; `nil` when every delivery shares `context`.
    func attach(context: SubscriptionContext, perTopic: (@Sendable (String) -> SubscriptionContext)? = nil) {
        self.contextBox.withLock { $0 = context }
        self.topicContexts.withLock { $0.make = perTopic }
    }

    /// Connects the subscription to its consumer, once it is created.
    func attach(consumer: RDKafkaConsumer) {
        self.consumerBox.withLock { $0 = consumer }
    }

    var consumer: RDKafkaConsumer? { self.consumerBox.withLock { $0 } }
    /// Whether the subscription reads several topics, each delivery with its topic's context.
    var isMultiTopic: Bool { self.topicContexts.withLock { $0.make != nil } }
    var context: SubscriptionContext? { self.contextBox.withLock { $0 } }

    // MARK: DeliverySource

    var unsettledCount: Int {
        self.state.withLock { $0.bufferedCount + $0.outstandingCount }
    }

    /// Takes up to `max` deliveries, waiting up to `timeout` for the first; their messages are made here, on the
    /// receiving task, not on the consumer thread (see ``KafkaRecordBytes``).
    func receive(max: Int, timeout: Duration?) async throws -> [Delivery]? {
        try await self.receivePending(max: max, timeout: timeout)?.map { $0.delivery() }
    }

    private func receivePending(max: Int, timeout: Duration?) async throws -> [KafkaPendingDelivery]? {
        let immediate: [KafkaPendingDelivery]?? = self.state.withLock { state in
            if state.bufferedCount > 0 { return .some(self.handOut(max, from: &state)) }
            if state.isClosed { return .some(nil) }
            return nil
        }
        if let immediate {
            if immediate == nil, let failure = self.state.withLock({ $0.failure }) { throw failure }
            return immediate
        }
        if timeout.map({ $0 <= .zero }) ?? false { return [] }
        let id = self.state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        // Taken before the timer starts, so it passes no later than the timer fires: a timer that fired before the
        // waiter was registered (and found nothing to expire) is then seen at registration.
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[KafkaPendingDelivery]?, Never>) in
                let timer = timeout.map { timeout in
                    Task {
                        try? await Task.sleep(for: timeout)
                        if !Task.isCancelled { self.expireWaiter(id) }
                    }
                }
                let now: [KafkaPendingDelivery]?? = self.state.withLock { state in
                    if state.bufferedCount > 0 { return .some(self.handOut(max, from: &state)) }
                    if state.isClosed { return .some(nil) }
                    if let deadline, ContinuousClock.now >= deadline { return .some([]) }
                    state.waiters.append(.init(id: id, max: max, continuation: continuation, timer: timer))
                    return nil
                }
                if let now {
                    timer?.cancel()
                    continuation.resume(returning: now)
                } else if Task.isCancelled {
                    // Cancelled before the waiter was registered: the cancellation handler found nothing to end.
                    self.expireWaiter(id)
                }
            }
        } onCancel: {
            self.expireWaiter(id)
        }
        if result == nil, let failure = self.state.withLock({ $0.failure }) { throw failure }
        return result
    }

    private func expireWaiter(_ id: UInt64) {
        let waiter = self.state.withLock { state -> KafkaSubscriptionState.Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.timer?.cancel()
        waiter?.continuation.resume(returning: [])
    }

    /// Takes up to `max` buffered deliveries and, when they need acknowledgement, counts them as outstanding.
    ///
    /// With acknowledgements, handing out frees no room (buffered deliveries become outstanding ones). Without them
    /// (at-most-once), what is handed out is done, and a consumer thread waiting for room is woken when the room
    /// reaches its refill mark.
    private func handOut(_ max: Int, from state: inout KafkaSubscriptionState) -> [KafkaPendingDelivery] {
        let before = state.bufferedCount + state.outstandingCount
        let taken = state.take(max)
        if self.requiresAcknowledgement {
            state.outstandingCount += taken.count
        } else if self.refilled(before: before, after: state.bufferedCount) {
            self.consumer?.wake()
        }
        self.publishInFlight(state)
        return taken
    }

    /// Whether the in-flight count going from `before` to `after` gave a waiting consumer thread the room it
    /// waits for: true once per crossing of the mark, so that settling one delivery after another wakes the
    /// thread once per refill, not once per delivery.
    private func refilled(before: Int, after: Int) -> Bool {
        let mark = self.prefetch - self.refillRoom
        return before > mark && after <= mark
    }

    func cancel() async {
        await self.close(timeout: .seconds(30))
    }

    /// Ends the subscription: the consumer thread commits what was acknowledged and leaves the group (so the
    /// unacknowledged records go to the remaining members), buffered deliveries are dropped and waiters get `nil`.
    func close(timeout: Duration) async {
        let waiters = self.state.withLock { state -> [KafkaSubscriptionState.Waiter] in
            guard !state.isClosed else { return [] }
            state.isClosed = true
            state.droppedOnClose = state.lowestBufferedOffsets()
            state.buffer.removeAll()
            state.bufferStart = 0
            self.publishInFlight(state)
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: nil)
        }
        await self.consumer?.close(timeout: timeout)
        // What the consumer committed on its way out is all that will be: a later ack must not look settled.
        self.state.withLock { state in
            state.endAssignment()
            self.publishInFlight(state)
        }
        self.assignedSignal.fulfill(.failure(MessageBusError.closedSubscription))
        self.onCancel(self)
    }

    /// Ends the subscription as if its process had died: buffered deliveries are dropped and the consumer thread
    /// ends without committing or leaving the group; see ``RDKafkaConsumer/simulateCrash(timeout:)``.
    func simulateCrash() async {
        self.state.withLock { state in
            state.isClosed = true
            state.buffer.removeAll()
            state.bufferStart = 0
            state.endAssignment()
            self.publishInFlight(state)
        }
        await self.consumer?.simulateCrash(timeout: .seconds(30))
        self.onCancel(self)
    }

    // MARK: Settling

    /// Marks `deliveries` done: their offsets become committable once everything before them is done too, and
    /// the consumer thread stores them with librdkafka before its next poll (one store per batch of
    /// acknowledgements, no C call here).
    ///
    /// Deliveries whose partition was revoked (or seeked) since they were handed out commit nothing: the group reads
    /// them again.
    ///
    /// - Returns: the tags of the deliveries settling must refuse, those of a subscription that ended; see
    ///   ``KafkaSubscriptionState/refused(_:)``.
    func markDone(_ deliveries: [Delivery]) -> [UInt64] {
        self.markDone { state in state.refused(state.acknowledge(deliveries)) }
    }

    /// ``markDone(_:)`` for one delivery, without an array; `false` when settling it must be refused.
    func markDone(_ delivery: Delivery) -> Bool {
        self.markDone { state in state.acknowledge(delivery) || !state.isClosed }
    }

    /// Of `deliveries`, those no longer outstanding here (nothing is to be published for them), and among those
    /// the ones settling must refuse; marks none done.
    func notOutstanding(_ deliveries: [Delivery]) -> (stale: [UInt64], refused: [UInt64]) {
        self.state.withLock { state in
            let stale = state.notOutstanding(deliveries)
            return (stale, state.refused(stale))
        }
    }

    private func markDone<Result>(by acknowledging: (inout KafkaSubscriptionState) -> Result) -> Result {
        let (result, wake) = self.state.withLock { state -> (Result, Bool) in
            let before = state.bufferedCount + state.outstandingCount
            let result = acknowledging(&state)
            self.publishInFlight(state)
            return (result, self.refilled(before: before, after: state.bufferedCount + state.outstandingCount))
        }
        if wake { self.consumer?.wake() }
        return result
    }

    /// The offsets acknowledging `deliveries` would make committable (per partition, only where that advances),
    /// without acknowledging them: what a transaction sends with its commit.
    func committableOffsets(ifAcknowledging deliveries: [Delivery]) -> [(KafkaTopicPartition, Int64)] {
        self.state.withLock { state in
            var partitions: [KafkaTopicPartition: KafkaSubscriptionState.Partition] = [:]
            var result: [KafkaTopicPartition: Int64] = [:]
            for delivery in deliveries {
                guard let key = KafkaTopicPartition(of: delivery) else { continue }
                guard var entry = partitions[key] ?? state.partitions[key] else { continue }
                if let committable = entry.acknowledge(CollectionOfOne(delivery)).committable {
                    result[key] = committable
                }
                partitions[key] = entry
            }
            return result.map { ($0.key, $0.value) }
        }
    }

    // MARK: RDKafkaConsumerOwner (consumer thread)

    func availableRoom() -> Int {
        max(0, self.prefetch - self.inFlight.load(ordering: .acquiring))
    }

    func takeOffsetsToStore() -> [(KafkaTopicPartition, Int64)] {
        self.state.withLock { $0.takeOffsetsToStore() }
    }

    /// Stores what is in flight for ``availableRoom()``; called under the state lock after every change.
    private func publishInFlight(_ state: KafkaSubscriptionState) {
        let count = state.isClosed ? Int.max : state.bufferedCount + state.outstandingCount
        self.inFlight.store(count, ordering: .releasing)
    }

    func deliveryBuilder() -> KafkaDeliveryBuilder? {
        self.context == nil ? nil : KafkaDeliveryBuilder(subscription: self, lastTag: self.lastTag.load(ordering: .relaxed))
    }

    /// The context of deliveries read from `topic`: the subscription's own, or the topic's when it reads several.
    func context(forTopic topic: String) -> SubscriptionContext? {
        let perTopic = self.topicContexts.withLock { contexts -> SubscriptionContext? in
            guard let make = contexts.make else { return nil }
            if let made = contexts.made[topic] { return made }
            let context = make(topic)
            contexts.made[topic] = context
            return context
        }
        return perTopic ?? self.context
    }

    func received(_ deliveries: [KafkaPendingDelivery], lastTag: UInt64) {
        self.lastTag.store(lastTag, ordering: .relaxed)
        typealias Handoff = (KafkaSubscriptionState.Waiter, [KafkaPendingDelivery])
        let (handoffs, readAgain) = self.state.withLock { state -> ([Handoff], [(KafkaTopicPartition, [Int64])]) in
            guard !state.isClosed else { return ([], []) }
            var readAgain: [(KafkaTopicPartition, [Int64])] = []
            if self.requiresAcknowledgement {
                readAgain = state.track(deliveries)
            } else {
                state.buffer.append(contentsOf: deliveries)
            }
            defer { self.publishInFlight(state) }
            var handoffs: [Handoff] = []
            while state.bufferedCount > 0, !state.waiters.isEmpty {
                let waiter = state.waiters.removeFirst()
                handoffs.append((waiter, self.handOut(waiter.max, from: &state)))
            }
            return (handoffs, readAgain)
        }
        for (waiter, deliveries) in handoffs {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: deliveries)
        }
        for (partition, offsets) in readAgain {
            self.context?.logger.warning(
                "the Kafka client read records of this assignment again; dropped them as already delivered",
                metadata: ["partition": "\(partition)", "offsets": "\(offsets.first ?? -1)...\(offsets.last ?? -1)"])
        }
    }

    func assigned(_ partitions: [KafkaTopicPartition]) {
        let floor = self.lastTag.load(ordering: .relaxed)
        self.state.withLock { state in
            for partition in partitions {
                state.assign(partition, tagFloor: floor)
            }
        }
        self.assignedSignal.fulfill(.success(()))
    }

    func revoking(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] {
        let revoked = Set(partitions)
        return self.state.withLock { state in
            let unhanded = state.lowestBufferedOffsets().merging(state.droppedOnClose) { min($0, $1) }
                .filter { revoked.contains($0.key) }
            state.revoke(revoked)
            self.publishInFlight(state)
            return unhanded
        }
    }

    func sampled(lag: Int) {
        self.context?.recordLag(lag)
    }

    func failed(_ error: MessageBusError) {
        let waiters = self.state.withLock { state -> [KafkaSubscriptionState.Waiter] in
            state.failure = error
            state.isClosed = true
            state.endAssignment()
            self.publishInFlight(state)
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: nil)
        }
        self.assignedSignal.fulfill(.failure(error))
    }
}

extension MessageBusError {
    /// The error a subscription closed before its group assigned it partitions fails with.
    static let closedSubscription = MessageBusError(.closed, "the Kafka subscription was closed before it joined its group")
}
