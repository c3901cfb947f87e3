internal import CMessageBusRdKafka
import Dispatch
import Foundation
import MessageBus
import Synchronization
import Logging

/// A librdkafka group consumer that runs on a thread of its own.
///
/// The thread polls in batches of at most the owner's free room, so the owner's in-flight limit (the prefetch)
/// holds; when the owner is full it pauses every assigned partition and keeps polling only to serve rebalances and
/// stay in the group. Rebalance callbacks run on the same thread, inside the poll, before partitions move.
final class RDKafkaConsumer: RDKafkaRebalanceHandler, @unchecked Sendable {
    /// How the consumer reads.
    struct Settings: Sendable {
        /// Where partitions without a committed offset start.
        var start: KafkaStartOffset
        /// Commit each batch before it is handed out (at-most-once).
        var commitBeforeDelivery: Bool
        /// The most records taken from librdkafka in one go.
        var maxBatch: Int
        /// How long blocking lookups at assignment (committed offsets, watermarks) may take, in milliseconds.
        var lookupTimeoutMilliseconds: Int32
        /// The consumer group id: retry records for any other group are skipped.
        var groupID: String
        /// Whether the group was made for this consumer alone (a broadcast subscriber's): it has no committed
        /// offsets, so none are looked up at assignment.
        var groupIsOwn = false
    }

    let client: RDKafkaClient
    private let settings: Settings
    private weak var owner: (any RDKafkaConsumerOwner)?
    private let stop = StopFlag()
    /// Set by ``simulateCrash()``: the thread ends without storing, committing or leaving the group.
    private let crashes = Atomic(false)
    /// Whether the client still exists; calls from other threads check it under this lock, and the consumer
    /// thread clears it under the same lock before destroying the client, so no call reaches a destroyed handle.
    private let isAlive = Mutex(true)
    private let exited = AsyncOneShot<Void>()
    private let logger: Logger
    /// Thread-confined to the consumer thread: whether the current assignment is paused.
    private var isPaused = false
    /// How many times the consumer paused its partitions because the application fell a prefetch behind (read by
    /// tests; the pause itself is the backpressure).
    let pauseCount = Atomic(0)
    /// Thread-confined to the consumer thread: partitions held back at a retry record that is not due yet (paused,
    /// and moved back to that record), with the time it is due in milliseconds since 1970.
    private var held: [KafkaTopicPartition: Int64] = [:]
    /// Thread-confined to the consumer thread: how often the records of each assigned partition were handed out
    /// before, committed with its offset (``KafkaDeliveryLedger``); unused at-most-once, where nothing is redelivered.
    private var ledgers = KafkaDeliveryLedgers()
    /// Thread-confined: when the lag was last sampled.
    private var lagSampledAt = ContinuousClock.now
    /// How often the lag is sampled for the `messagebus.lag` gauge (from librdkafka's cached watermarks: no request).
    static let lagSampleInterval = Duration.seconds(1)
    /// Thread-confined: when the ledgers that changed without an offset to store were last committed.
    private var ledgersCommittedAt = ContinuousClock.now
    /// How often ledgers that changed are committed when no acknowledgement carries them: a record handed out
    /// this long before a crash counts the crash as a redelivery.
    static let ledgerCommitInterval = Duration.milliseconds(500)
    /// Thread-confined to the consumer thread: partitions started by time, with that time in milliseconds, until
    /// their first record at or after it. Records before it are skipped here, because some brokers answer a
    /// lookup by time with the start of the log (Tansu) or not at all (the mock cluster).
    private var skipBefore: [KafkaTopicPartition: Int64] = [:]
    /// Thread-confined to the consumer thread: where a `.latest` start put each partition at its first assignment.
    /// A later assignment of the partition (after a rebalance) with nothing committed resumes there: the end of the
    /// log at that later moment would skip what was published in between, which the subscription promised to get.
    private var latestStarts: [KafkaTopicPartition: Int64] = [:]
    /// How many assignments and revocations the rebalance callback made (read by tests; the first assignment of a
    /// group of its own has no commits to look up).
    let assignmentCount = Atomic(0)
    let revocationCount = Atomic(0)
    /// Seeks waiting for the consumer thread, which runs them between polls so that no record from before a seek is
    /// handed on after it.
    /// Signalled when the owner frees room, so a full consumer thread resumes at once without pausing.
    private let roomFreed = DispatchSemaphore(value: 0)
    /// Thread-confined: the topic names of the topic handles seen, so a record's topic is neither decoded nor
    /// allocated per record (every record of a topic shares one string).
    private var topicNames: [OpaquePointer: String] = [:]
    /// Thread-confined: the topic of the previous record.
    private var lastTopic: (handle: OpaquePointer, name: String)?
    /// Thread-confined: where `rd_kafka_consume_batch_queue` writes a batch, allocated once.
    private let slots: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    /// What an owner dropped without closing had acknowledged and the thread had not stored yet.
    private let offsetsFromDroppedOwner = Mutex<[(KafkaTopicPartition, Int64)]>([])
    /// `nil` once the thread has left its loop: a seek can no longer run and is refused at once.
    private let pendingSeeks = Mutex<[(KafkaSeekPosition, Int32?, AsyncOneShot<[KafkaTopicPartition]>)]?>([])
    /// How many deliveries of a polled batch are handed on at once (unless each batch is committed before it is
    /// handed on, at-most-once).
    static let handOffChunk = 128
    /// The consumer queue, for waking the thread from `rd_kafka_consumer_poll` early.
    private let queue: OpaquePointer?

    /// Creates the consumer, subscribes it to `topics` and starts its thread.
    init(
        properties: [(name: String, value: String)],
        topics: [String],
        settings: Settings,
        owner: any RDKafkaConsumerOwner,
        logger: Logger,
        tokenProvider: (@Sendable () async throws -> KafkaOAuthBearerToken)? = nil
    ) throws(MessageBusError) {
        let context = RDKafkaClientContext(logger: logger, tokenProvider: tokenProvider)
        self.client = try RDKafkaClient(kind: .consumer, properties: properties, context: context, rebalances: true)
        self.settings = settings
        self.owner = owner
        self.logger = logger
        self.slots = .allocate(capacity: max(1, settings.maxBatch))
        let queue = rd_kafka_queue_get_consumer(self.client.pointer)
        self.queue = queue
        context.rebalanceHandler = self
        rd_kafka_poll_set_consumer(self.client.pointer)
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(self.client.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if let queue { rd_kafka_queue_destroy(queue) }
            // The client is destroyed when released, on a thread of its own (this runs in async code).
            self.slots.deallocate()
            throw RDKafkaError.error(error, "subscribing to \(topics)")
        }
        DedicatedThread.start("mb-kafka-recv") { [self] in
            self.run()
        }
    }

    /// Asks the thread to leave the group (committing stored offsets) and waits until it has, within `timeout`.
    func close(timeout: Duration) async {
        self.requestStop()
        _ = try? await self.exited.value(timeout: timeout)
    }

    /// Asks the thread to leave the group, destroy the client and end, without waiting: for an owner that goes
    /// away without closing, which hands over the acknowledged offsets the thread has not yet stored. The thread
    /// holds the consumer until it has ended.
    func requestStop(storingFirst offsets: [(KafkaTopicPartition, Int64)] = []) {
        if !offsets.isEmpty { self.offsetsFromDroppedOwner.withLock { $0 = offsets } }
        self.stop.set()
        self.wake()
    }

    /// Ends the thread as a crash would: nothing more is stored or committed, the group is not left (its other
    /// members get the partitions once the session times out), and the client is destroyed. For tests of what the
    /// group does after a consumer process dies.
    func simulateCrash(timeout: Duration) async {
        self.crashes.store(true, ordering: .releasing)
        self.requestStop()
        _ = try? await self.exited.value(timeout: timeout)
    }

    /// Wakes the thread from its poll, so that freed room is used at once.
    func wake() {
        self.roomFreed.signal()
        self.isAlive.withLock { alive in
            if alive, let queue { rd_kafka_queue_yield(queue) }
        }
    }

    /// A copy of the consumer's group metadata (for a transaction's offsets), or `nil` once the consumer has left
    /// its group and its client is destroyed. Read under the liveness lock: the consumer thread destroys the client.
    func groupMetadata() -> OpaquePointer? {
        self.isAlive.withLock { alive in
            alive ? rd_kafka_consumer_group_metadata(self.client.pointer) : nil
        }
    }

    /// Stores the offsets the owner's acknowledgements made committable (the next offset to read, per partition),
    /// in one call; librdkafka commits them periodically, on revoke and on close. Consumer thread only, before
    /// every poll and before partitions move, so no acknowledged offset is left behind a revoke or a close.
    private func storeAcknowledgedOffsets() {
        let offsets = self.owner?.takeOffsetsToStore() ?? self.offsetsFromDroppedOwner.withLock { offsets in
            defer { offsets.removeAll() }
            return offsets
        }
        guard !offsets.isEmpty else { return }
        let list = Self.makeList(offsets.map { partition, offset in
            (partition, offset, self.tracksLedgers ? self.ledgers.stored(offset, for: partition) : nil)
        })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        // Offsets of partitions no longer assigned are refused by librdkafka, which is what they deserve.
        _ = rd_kafka_offsets_store(self.client.pointer, list)
    }

    /// Whether deliveries are counted across members (every guarantee that redelivers).
    private var tracksLedgers: Bool { !self.settings.commitBeforeDelivery }

    /// Commits the ledgers of `partitions` (every changed one when `nil`) with their offsets, so that the next
    /// member counts what this one handed out. librdkafka commits a stored offset only when it advanced, so a
    /// ledger that changed without an acknowledgement is committed here.
    ///
    /// Synchronously: librdkafka retries a commit that met a lost coordinator, and an asynchronous one could so
    /// land after a later commit of a newer offset (the one a revoke or close makes) and move the group back,
    /// redelivering what was acknowledged. Under a steady flow of acknowledgements ledgers ride along with the
    /// stored offsets, so this runs only for records handed out and left unsettled for a while.
    private func commitLedgers(_ partitions: [KafkaTopicPartition]? = nil) {
        self.ledgersCommittedAt = .now
        let commits = self.ledgers.toCommit(partitions)
        guard !commits.isEmpty else { return }
        let list = Self.makeList(commits)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_commit(self.client.pointer, list, 0)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET {
            self.logger.debug("committing delivery counts: \(RDKafkaError.text(error))")
        }
    }

    // MARK: The consumer thread

    /// Moves the assigned partitions (or only `partition`) to `position`, on the consumer thread.
    ///
    /// - Returns: the partitions moved.
    func seek(to position: KafkaSeekPosition, partition: Int32?, timeout: Duration) async throws -> [KafkaTopicPartition] {
        let done = AsyncOneShot<[KafkaTopicPartition]>()
        let accepted = self.pendingSeeks.withLock { pending in
            pending?.append((position, partition, done))
            return pending != nil
        }
        guard accepted else { throw Self.seekRefused }
        self.wake()
        guard let moved = try await done.value(timeout: timeout) else {
            throw MessageBusError(.timeout, "the seek to \(position) did not complete within \(timeout)")
        }
        return moved
    }

    private static let seekRefused = MessageBusError(.closed, "the Kafka subscription has ended; it can no longer seek")

    private func runPendingSeeks() {
        let seeks = self.pendingSeeks.withLock { pending in
            defer { pending?.removeAll() }
            return pending ?? []
        }
        for (position, partition, done) in seeks {
            done.fulfill(Result { () throws(MessageBusError) in try self.seekNow(to: position, partition: partition) })
        }
    }

    private func seekNow(to position: KafkaSeekPosition, partition: Int32?) throws(MessageBusError) -> [KafkaTopicPartition] {
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let error = rd_kafka_assignment(self.client.pointer, &assignment)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment else {
            throw RDKafkaError.error(error, "reading the assignment to seek")
        }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        guard let list = rd_kafka_topic_partition_list_new(assignment.pointee.cnt) else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for index in 0..<Int(assignment.pointee.cnt) {
            let element = assignment.pointee.elems[index]
            guard partition == nil || element.partition == partition else { continue }
            let entry = rd_kafka_topic_partition_list_add(list, element.topic, element.partition)
            switch position {
            case .beginning: entry?.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            case .end: entry?.pointee.offset = Int64(RD_KAFKA_OFFSET_END)
            case .offset(let offset): entry?.pointee.offset = offset
            case .timestamp(let date): entry?.pointee.offset = Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
        }
        let moved = Self.entries(list)
        guard !moved.isEmpty else { return [] }
        if case .timestamp(let date) = position {
            let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
            let lookup = rd_kafka_offsets_for_times(self.client.pointer, list, self.settings.lookupTimeoutMilliseconds)
            for index in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems.advanced(by: index)
                if lookup != RD_KAFKA_RESP_ERR_NO_ERROR || element.pointee.offset < 0 {
                    element.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
                }
                self.skipBefore[moved[index]] = milliseconds
            }
        } else {
            for partition in moved { self.skipBefore[partition] = nil }
        }
        // A later assignment with nothing committed resumes from the seek where it names a place (an offset, a
        // time, the beginning); after a seek to the end it takes the end of the log at that assignment.
        for (index, partition) in moved.enumerated() where self.latestStarts[partition] != nil {
            let offset = list.pointee.elems[index].offset
            self.latestStarts[partition] = offset >= 0 || offset == Int64(RD_KAFKA_OFFSET_BEGINNING) ? offset : nil
        }
        // A seek replaces a hold at a retry record: the partition reads from its new position at once.
        let released = moved.filter { self.held.removeValue(forKey: $0) != nil }
        if !released.isEmpty, !self.isPaused {
            let resume = Self.makeList(released.map { ($0, 0) })
            defer { rd_kafka_topic_partition_list_destroy(resume) }
            _ = rd_kafka_resume_partitions(self.client.pointer, resume)
        }
        // Buffered and handed-out deliveries of these partitions belong to the old position: drop them first,
        // keeping what was acknowledged of them.
        self.storeAcknowledgedOffsets()
        let unhanded = self.owner?.revoking(moved) ?? [:]
        for (partition, offset) in unhanded { self.ledgers.notHandedOut(partition, from: offset) }
        for partition in moved { self.ledgers.seeked(partition) }
        if let seekError = RDKafkaError.consume(
            rd_kafka_seek_partitions(self.client.pointer, list, self.settings.lookupTimeoutMilliseconds),
            "seeking \(moved.map(\.description)) to \(position)")
        {
            self.owner?.assigned(moved)
            throw seekError
        }
        self.owner?.assigned(moved)
        return moved
    }

    private func run() {
        while !self.stop.isSet {
            if !self.held.isEmpty { self.releaseDuePartitions() }
            self.storeAcknowledgedOffsets()
            if !self.ledgers.changed.isEmpty, ContinuousClock.now - self.ledgersCommittedAt >= Self.ledgerCommitInterval {
                self.commitLedgers()
            }
            if ContinuousClock.now - self.lagSampledAt >= Self.lagSampleInterval { self.sampleLag() }
            if self.pendingSeeks.withLock({ !($0?.isEmpty ?? true) }) { self.runPendingSeeks() }
            let room = self.owner?.availableRoom() ?? 0
            if room <= 0 {
                // A consumer that keeps up frees room within moments: wait for that first, because pausing
                // throws away what librdkafka prefetched. Only a consumer that stays full is paused (it then keeps
                // polling to serve rebalances and stay in the group). The owner signals once a refill's worth of
                // room is free (not for every settled delivery), so the thread polls in batches; an application
                // that settles less than that and waits for more gets it when this wait times out.
                if !self.isPaused, self.roomFreed.wait(timeout: .now() + .milliseconds(200)) == .success { continue }
                if !self.isPaused { self.setPaused(true) }
                if let message = rd_kafka_consumer_poll(self.client.pointer, 50) {
                    // Fetched before the pause took effect: hand it on rather than lose its position.
                    self.slots[0] = message
                    self.handle(UnsafeMutableBufferPointer(rebasing: self.slots[0..<1]))
                }
                continue
            }
            if self.isPaused { self.setPaused(false) }
            let count = self.poll(limit: min(room, self.settings.maxBatch))
            if count > 0 { self.handle(UnsafeMutableBufferPointer(rebasing: self.slots[0..<count])) }
        }
        // Seeks that came in with the stop fail now rather than wait out their timeout behind the close.
        let refused = self.pendingSeeks.withLock { pending in
            defer { pending = nil }
            return pending ?? []
        }
        for (_, _, done) in refused { done.fulfill(.failure(Self.seekRefused)) }
        let crashed = self.crashes.load(ordering: .acquiring)
        if !crashed {
            // Leaving the group runs the revoke callback (storing and committing what was acknowledged) on this
            // thread; with nothing assigned there is no callback, so the stores are made here too.
            self.storeAcknowledgedOffsets()
            let closeError = rd_kafka_consumer_close(self.client.pointer)
            if closeError != RD_KAFKA_RESP_ERR_NO_ERROR {
                self.logger.debug("consumer close: \(RDKafkaError.text(closeError))")
            }
        }
        self.isAlive.withLock { $0 = false }
        if let queue { rd_kafka_queue_destroy(queue) }
        self.client.destroy(leavingGroup: !crashed)
        self.slots.deallocate()
        self.exited.fulfill(.success(()))
    }

    /// Polls up to `limit` records into `slots` and returns how many it got.
    ///
    /// The first wait is `rd_kafka_consumer_poll`, which returns as soon as one record (or a wake-up) arrives and
    /// serves rebalance callbacks; whatever else is already fetched is then taken in one
    /// `rd_kafka_consume_batch_queue` call without waiting, one queue lock for the batch instead of one per record.
    /// (Waiting in the batch call itself would wait for a full batch.)
    private func poll(limit: Int) -> Int {
        guard let first = rd_kafka_consumer_poll(self.client.pointer, 100) else { return 0 }
        self.slots[0] = first
        guard limit > 1, let queue, let rest = self.slots.baseAddress?.advanced(by: 1) else { return 1 }
        let more = rd_kafka_consume_batch_queue(queue, 0, rest, limit - 1)
        return 1 + max(0, more)
    }

    private func handle(_ messages: UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>) {
        guard var builder = self.owner?.deliveryBuilder() else {
            // The subscription is closing: nothing is handed on, but errors are still reported.
            for case let message? in messages {
                if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR { self.report(message.pointee.err) }
                rd_kafka_message_destroy(message)
            }
            return
        }
        var nextOffsets: [KafkaTopicPartition: Int64] = [:]
        // The run of records handed out from one partition, noted in its ledger once the run ends.
        var run: (partition: KafkaTopicPartition, first: Int64, last: Int64)?
        Self.reserveHandOff(&builder, for: messages[...])
        for index in messages.indices {
            guard let message = messages[index] else { continue }
            defer { rd_kafka_message_destroy(message) }
            let error = message.pointee.err
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                self.report(error)
                continue
            }
            let view = RDKafkaMessageView(message: message, topic: self.topicName(message.pointee.rkt))
            let partition = KafkaTopicPartition(topic: view.topic, partition: view.partition)
            if !self.skipBefore.isEmpty, let start = self.skipBefore[partition] {
                if let time = view.timestampMilliseconds, time < start { continue }
                self.skipBefore[partition] = nil
            }
            // The rest of a held partition's batch comes again once its retry record is due.
            if !self.held.isEmpty, self.held[partition] != nil { continue }
            let decoded = KafkaRecordCodec.decode(view, into: &builder.bytes)
            if let retry = decoded.retry {
                // Another group's retry record: not for this group (its offset is a gap in the bookkeeping).
                guard retry.group == nil || retry.group == self.settings.groupID else { continue }
                if let due = retry.dueMilliseconds, due > Self.nowMilliseconds() {
                    self.hold(partition, at: view.offset, until: due)
                    continue
                }
            }
            guard builder.add(
                decoded.fields, attempt: decoded.attempt + self.ledgers.earlierDeliveries(of: view.offset, in: partition),
                partition: partition, offset: view.offset, source: decoded.retry?.source)
            else { continue }
            if self.tracksLedgers {
                if let current = run, current.partition == partition {
                    run?.last = view.offset
                } else {
                    if let current = run { self.ledgers.handedOut(current.partition, from: current.first, through: current.last) }
                    run = (partition, view.offset, view.offset)
                }
            }
            if builder.count == Self.handOffChunk, !self.settings.commitBeforeDelivery {
                // Handed on in chunks while the rest of the batch is decoded, so the receiving task works on the
                // first records instead of waiting for the whole batch (both sides then run at once).
                self.owner?.received(builder.take(), lastTag: builder.lastTag)
                Self.reserveHandOff(&builder, for: messages[(index + 1)...])
            }
            if self.settings.commitBeforeDelivery { nextOffsets[partition] = max(nextOffsets[partition] ?? 0, view.offset + 1) }
        }
        if let run { self.ledgers.handedOut(run.partition, from: run.first, through: run.last) }
        guard builder.count > 0 else { return }
        if !nextOffsets.isEmpty {
            let list = Self.makeList(nextOffsets.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let error = rd_kafka_commit(self.client.pointer, list, 0)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                self.logger.debug("commit before delivery failed: \(RDKafkaError.text(error))")
            }
        }
        self.owner?.received(builder.take(), lastTag: builder.lastTag)
    }

    /// Sizes the builder's next hand-off to the records that will fill it: at most a chunk of `messages`, each
    /// with its value, its key and room for the id and the other owned headers (a record with more grows it).
    private static func reserveHandOff(
        _ builder: inout KafkaDeliveryBuilder,
        for messages: Slice<UnsafeMutableBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>?>>
    ) {
        let chunk = messages.prefix(Self.handOffChunk)
        var bytes = 0
        for case let message? in chunk { bytes += message.pointee.len + message.pointee.key_len + 64 }
        builder.reserve(records: chunk.count, bytes: bytes)
    }

    /// Reports the lag of the assignment: per partition, the high watermark librdkafka last saw less the position
    /// after the last record polled (the low watermark when none was), summed. Cached values only: no request.
    private func sampleLag() {
        self.lagSampledAt = .now
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(self.client.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment
        else { return }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        _ = rd_kafka_position(self.client.pointer, assignment)
        var lag: Int64 = 0
        for index in 0..<Int(assignment.pointee.cnt) {
            let element = assignment.pointee.elems[index]
            var low: Int64 = -1
            var high: Int64 = -1
            guard rd_kafka_get_watermark_offsets(self.client.pointer, element.topic, element.partition, &low, &high)
                == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0
            else { continue }
            let position = element.offset >= 0 ? element.offset : max(0, low)
            lag += max(0, high - position)
        }
        self.owner?.sampled(lag: Int(clamping: lag))
    }

    /// Holds `partition` back at the retry record at `offset` until `due`: paused, and moved back to the record so
    /// that it and everything after it (already fetched or not) is read again once it is due. The rest of the
    /// partition goes on only then, as in a retry queue; other partitions are not held.
    private func hold(_ partition: KafkaTopicPartition, at offset: Int64, until due: Int64) {
        let list = Self.makeList([(partition, offset)])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_pause_partitions(self.client.pointer, list)
        if let error = RDKafkaError.consume(
            rd_kafka_seek_partitions(self.client.pointer, list, self.settings.lookupTimeoutMilliseconds),
            "moving \(partition) back to its retry record at \(offset)")
        {
            self.logger.debug("\(error.message)")
        }
        self.held[partition] = due
    }

    /// Resumes the held partitions whose retry record is due (unless the whole assignment is paused for room: the
    /// resume of the assignment then takes them along).
    private func releaseDuePartitions() {
        let now = Self.nowMilliseconds()
        let due = self.held.filter { $0.value <= now }.map(\.key)
        guard !due.isEmpty else { return }
        for partition in due { self.held[partition] = nil }
        guard !self.isPaused else { return }
        let list = Self.makeList(due.map { ($0, 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_resume_partitions(self.client.pointer, list)
    }

    private static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The name of the topic behind `handle`, decoded once per topic; the same string for every record of it.
    private func topicName(_ handle: OpaquePointer?) -> String {
        guard let handle else { return "" }
        // A batch is mostly one topic: skip the table (hashing the handle) while the topic does not change.
        if handle == self.lastTopic?.handle, let name = self.lastTopic?.name { return name }
        if let known = self.topicNames[handle] {
            self.lastTopic = (handle, known)
            return known
        }
        let name = String(cString: rd_kafka_topic_name(handle))
        self.topicNames[handle] = name
        self.lastTopic = (handle, name)
        return name
    }

    private func report(_ error: rd_kafka_resp_err_t) {
        switch error {
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return
        case RD_KAFKA_RESP_ERR__FATAL:
            var text = [CChar](repeating: 0, count: 512)
            let code = rd_kafka_fatal_error(self.client.pointer, &text, text.count)
            self.owner?.failed(RDKafkaError.error(code, "the consumer failed fatally: \(text.nulTerminatedString)"))
        default:
            self.logger.debug("consumer error: \(RDKafkaError.text(error))")
        }
    }

    private func setPaused(_ paused: Bool) {
        var assignment: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(self.client.pointer, &assignment) == RD_KAFKA_RESP_ERR_NO_ERROR, let assignment
        else { return }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        if paused {
            _ = rd_kafka_pause_partitions(self.client.pointer, assignment)
            self.pauseCount.add(1, ordering: .relaxed)
        } else {
            _ = rd_kafka_resume_partitions(self.client.pointer, assignment)
            if !self.held.isEmpty {
                // Partitions held at a retry record stay paused until it is due.
                let list = Self.makeList(self.held.keys.map { ($0, 0) })
                defer { rd_kafka_topic_partition_list_destroy(list) }
                _ = rd_kafka_pause_partitions(self.client.pointer, list)
            }
        }
        self.isPaused = paused
    }

    // MARK: Rebalances (consumer thread, inside the poll)

    func rebalance(
        _ client: OpaquePointer, _ event: rd_kafka_resp_err_t,
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(client)) == "COOPERATIVE"
        let list = Self.entries(partitions)
        if event == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            if self.tracksLedgers { self.readLedgers(of: partitions) }
            self.resolveStartOffsets(partitions, keys: list)
            if cooperative {
                if let error = RDKafkaError.consume(rd_kafka_incremental_assign(client, partitions), "incremental assign") {
                    self.logger.debug("\(error.message)")
                }
                // The partitions kept stay paused if they were; the added ones join them, so that a later resume
                // of the whole assignment resumes every one.
                // librdkafka keeps an application pause across unassign and assign: an added partition starts
                // unpaused unless the whole assignment is paused for room.
                _ = rd_kafka_resume_partitions(client, partitions)
                if self.isPaused { _ = rd_kafka_pause_partitions(client, partitions) }
            } else {
                _ = rd_kafka_assign(client, partitions)
                // A new assignment starts unpaused (librdkafka would keep an earlier pause of a partition given back
                // to this member); the loop pauses it again if the owner is still full.
                _ = rd_kafka_resume_partitions(client, partitions)
                self.isPaused = false
            }
            self.logger.debug("assigned \(list.map(\.description))")
            self.assignmentCount.add(1, ordering: .relaxed)
            self.owner?.assigned(list)
        } else {
            self.storeAcknowledgedOffsets()
            for partition in list { self.held[partition] = nil }
            // A hold or a pause for room must not outlive the assignment (librdkafka keeps it on the partition).
            _ = rd_kafka_resume_partitions(client, partitions)
            let unhanded = self.owner?.revoking(list) ?? [:]
            for (partition, offset) in unhanded { self.ledgers.notHandedOut(partition, from: offset) }
            // Commit what was acknowledged before the partitions move, so the next owner starts after it.
            let error = rd_kafka_commit(client, nil, 0)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET {
                self.logger.debug("commit on revoke: \(RDKafkaError.text(error))")
            }
            if self.tracksLedgers {
                // Then what this member handed out, so the next one counts it (after the offsets: a later commit
                // of the same offset keeps this metadata).
                self.commitLedgers(list)
                for partition in list { self.ledgers.revoked(partition) }
            }
            if cooperative {
                _ = RDKafkaError.consume(rd_kafka_incremental_unassign(client, partitions), "incremental unassign")
            } else {
                _ = rd_kafka_assign(client, nil)
            }
            self.logger.debug("revoked \(list.map(\.description))")
            self.revocationCount.add(1, ordering: .relaxed)
        }
    }

    /// Starts the ledgers of newly assigned partitions from their committed offsets and metadata (one lookup for
    /// the whole assignment; without an answer, a partition starts without history).
    private func readLedgers(of partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        guard let lookup = rd_kafka_topic_partition_list_copy(partitions) else { return }
        defer { rd_kafka_topic_partition_list_destroy(lookup) }
        let error = rd_kafka_committed(self.client.pointer, lookup, self.settings.lookupTimeoutMilliseconds)
        for index in 0..<Int(lookup.pointee.cnt) {
            let element = lookup.pointee.elems[index]
            let partition = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, element.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                self.ledgers.assigned(partition, committed: nil, metadata: nil)
                continue
            }
            let metadata = element.metadata.map { bytes in
                String(decoding: UnsafeRawBufferPointer(start: bytes, count: element.metadata_size), as: UTF8.self)
            }
            self.ledgers.assigned(partition, committed: element.offset >= 0 ? element.offset : nil, metadata: metadata)
        }
    }

    /// Sets explicit start offsets for partitions the group has committed nothing for, when the start position is
    /// not `earliest`, so that "latest" means the end of the log at the first assignment and not whenever the first
    /// fetch happens to resolve it (a record published right after subscribing must be received).
    ///
    /// - Parameter keys: The partitions of `partitions`, in its order.
    private func resolveStartOffsets(
        _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, keys: [KafkaTopicPartition]
    ) {
        if case .earliest = self.settings.start { return }
        let client = self.client.pointer
        let timeout = self.settings.lookupTimeoutMilliseconds
        // One lookup timeout for the committed offsets and every end of log together: the rebalance waits on them.
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout))
        let count = Int(partitions.pointee.cnt)
        // A lookup still failing at the deadline leaves the start to auto.offset.reset, resolved at the first fetch.
        // A group of its own has nothing to look up at its first assignment, and starts where the log ends now;
        // after a rebalance it has what it acknowledged since.
        let committedError =
            self.settings.groupIsOwn && self.assignmentCount.load(ordering: .relaxed) == 0
            ? RD_KAFKA_RESP_ERR_NO_ERROR
            : self.lookUp(until: deadline) { timeout in rd_kafka_committed(client, partitions, timeout) }
        if committedError != RD_KAFKA_RESP_ERR_NO_ERROR {
            // Without the group's commits an explicit start could jump past records the group never processed;
            // left unset, the broker's committed offset (or auto.offset.reset) decides instead. Where the
            // subscription started is safe (it redelivers at most what came since).
            self.logger.warning(
                "the group's committed offsets could not be read: its start is left to the first fetch",
                metadata: ["error": "\(RDKafkaError.text(committedError))"])
            for (index, key) in keys.enumerated() {
                partitions.pointee.elems.advanced(by: index).pointee.offset =
                    self.latestStarts[key] ?? Int64(RD_KAFKA_OFFSET_INVALID)
            }
            return
        }
        var byTime: [Int] = []
        var resolvedLatest: [(KafkaTopicPartition, Int64)] = []
        defer { self.commitGroupStart(resolvedLatest) }
        for index in 0..<count {
            let element = partitions.pointee.elems.advanced(by: index)
            guard element.pointee.offset < 0 else { continue }  // the group resumes from its commit
            switch self.settings.start {
            case .earliest:
                element.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
            case .latest:
                if let start = self.latestStarts[keys[index]] {
                    element.pointee.offset = start
                } else if let end = self.endOfLog(element.pointee.topic, partition: element.pointee.partition, deadline: deadline) {
                    element.pointee.offset = end
                    self.latestStarts[keys[index]] = end
                    resolvedLatest.append((keys[index], end))
                } else {
                    element.pointee.offset = Int64(RD_KAFKA_OFFSET_END)
                }
            case .offset(let offset):
                element.pointee.offset = offset
            case .timestamp(let milliseconds):
                element.pointee.offset = milliseconds
                byTime.append(index)
                self.skipBefore[
                    KafkaTopicPartition(topic: String(cString: element.pointee.topic), partition: element.pointee.partition)
                ] = milliseconds
            }
        }
        guard !byTime.isEmpty else { return }
        guard let query = rd_kafka_topic_partition_list_new(Int32(byTime.count)) else { return }
        defer { rd_kafka_topic_partition_list_destroy(query) }
        for index in byTime {
            let element = partitions.pointee.elems.advanced(by: index)
            rd_kafka_topic_partition_list_add(query, element.pointee.topic, element.pointee.partition)?.pointee.offset =
                element.pointee.offset
        }
        let error = rd_kafka_offsets_for_times(client, query, timeout)
        for (position, index) in byTime.enumerated() {
            let element = partitions.pointee.elems.advanced(by: index)
            let found = query.pointee.elems.advanced(by: position).pointee.offset
            // Without an answer, read from the start and let the time filter skip the older records.
            element.pointee.offset = error == RD_KAFKA_RESP_ERR_NO_ERROR && found >= 0 ? found : Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
    }

    /// Commits where a `.latest` start put partitions the group had committed nothing for: the group begins there.
    ///
    /// Otherwise a member that the partitions move to before this one acknowledged anything (this one left, or a
    /// rebalance gave them away) would find nothing committed and start at the end of the log *it* finds, skipping
    /// what was published in between; RabbitMQ's group queue keeps those messages, and so does a Kafka group now.
    /// A group of this subscriber alone needs no such commit: no other member can take its partitions.
    private func commitGroupStart(_ starts: [(KafkaTopicPartition, Int64)]) {
        guard !starts.isEmpty, !self.settings.groupIsOwn else { return }
        let list = Self.makeList(starts)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_commit(self.client.pointer, list, 0)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            self.logger.warning(
                "the group's start could not be committed: a member taking over before an acknowledgement starts later",
                metadata: ["error": "\(RDKafkaError.text(error))"])
        }
    }

    /// The end of a partition's log now (its high watermark); `nil` (logged) when the leader did not answer by
    /// `deadline`.
    private func endOfLog(
        _ topic: UnsafePointer<CChar>, partition: Int32, deadline: ContinuousClock.Instant
    ) -> Int64? {
        var high: Int64 = 0
        let error = self.lookUp(until: deadline) { timeout in
            var low: Int64 = 0
            return rd_kafka_query_watermark_offsets(self.client.pointer, topic, partition, &low, &high, timeout)
        }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            self.logger.warning(
                "the end of a partition's log could not be read: it starts where the first fetch finds the end",
                metadata: ["partition": "\(String(cString: topic))[\(partition)]", "error": "\(RDKafkaError.text(error))"])
            return nil
        }
        return high
    }

    /// Runs a broker lookup (`body` gets the milliseconds left) until it succeeds or `deadline` passes, and returns
    /// its last result: a lookup that fails at once (a leader or coordinator this client does not know yet, a busy
    /// broker) is tried again, because a start position left to `auto.offset.reset` is resolved only at the first
    /// fetch and skips what is published in between.
    private func lookUp(
        until deadline: ContinuousClock.Instant, _ body: (Int32) -> rd_kafka_resp_err_t
    ) -> rd_kafka_resp_err_t {
        while true {
            let remaining = KafkaConfiguration.milliseconds(deadline - ContinuousClock.now)
            let error = body(Int32(clamping: max(remaining, 1)))
            guard error != RD_KAFKA_RESP_ERR_NO_ERROR, ContinuousClock.now < deadline else { return error }
            // This thread is the consumer's own: waiting here delays only this assignment.
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    // MARK: Partition lists

    private static func entries(
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) -> [KafkaTopicPartition] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
        }
    }

    /// A list of offsets with metadata (librdkafka frees the copies it is given with the list).
    private static func makeList(
        _ offsets: [(KafkaTopicPartition, Int64, String?)]
    ) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        for (partition, offset, metadata) in offsets {
            guard let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition) else { continue }
            element.pointee.offset = offset
            if let metadata, let copy = strdup(metadata) {
                element.pointee.metadata = UnsafeMutableRawPointer(copy)
                element.pointee.metadata_size = strlen(copy)
            }
        }
        return list
    }

    private static func makeList(
        _ offsets: [(KafkaTopicPartition, Int64)]
    ) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        return list
    }
}
