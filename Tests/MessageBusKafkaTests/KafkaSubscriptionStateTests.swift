import Logging
import MessageBus
@testable import MessageBusKafka
import Testing

/// The subscription's acknowledgement bookkeeping: what counts against the prefetch, what becomes committable,
/// and how deliveries of an earlier assignment are told apart by their tags.
@Suite("Kafka subscription state")
struct KafkaSubscriptionStateTests {
    /// Settles nothing: these tests drive the state directly and never settle through the context.
    private final class UnusedSettler: DeliverySettler {
        func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
            Issue.record("the state tests settle through KafkaSubscriptionState, not the context")
        }
    }

    private let context = SubscriptionContext(
        backend: "kafka", destination: "orders", group: "billing", options: SubscriptionOptions(),
        configuration: MessageBusConfiguration(), settler: UnusedSettler(), logger: Logger(label: "test"))

    /// Polled records as the consumer thread hands them on (each payload its offset in decimal).
    private func deliveries(partition: Int32, offsets: Range<Int64>, firstTag: UInt64) -> [KafkaPendingDelivery] {
        var builder = KafkaRecordBytes.Builder()
        let payloads = offsets.map { offset in Array(String(offset).utf8).withUnsafeBytes { builder.append($0) } }
        let records = zip(offsets, payloads).enumerated().map { index, record in
            KafkaDeliveryChunk.Record(
                fields: KafkaRecordFields(payload: record.1), attempt: 1, tag: firstTag + UInt64(index),
                offset: record.0, partition: partition, topic: 0, context: 0, positionNamesTopic: false)
        }
        let chunk = KafkaDeliveryChunk(bytes: builder.finish(), records: records, topics: ["orders"], contexts: [self.context])
        return records.indices.map { KafkaPendingDelivery(chunk: chunk, index: $0) }
    }

    /// Buffers `deliveries` as a poll would and hands out the first `count` of them (all by default).
    private func handOut(_ deliveries: [KafkaPendingDelivery], count: Int? = nil, in state: inout KafkaSubscriptionState) {
        state.track(deliveries)
        state.outstandingCount += state.take(count ?? deliveries.count).count
    }

    /// Acknowledges `deliveries` (handed out), expecting those tagged `refused` to be refused as no longer
    /// settleable, and takes what the consumer thread would store next.
    private func acknowledged(
        _ state: inout KafkaSubscriptionState, _ deliveries: [KafkaPendingDelivery], refusing refused: [UInt64] = []
    ) -> [(KafkaTopicPartition, Int64)] {
        let notOutstanding = state.acknowledge(deliveries.map { $0.delivery() })
        #expect(notOutstanding == refused)
        return state.takeOffsetsToStore()
    }

    /// Acknowledges one delivery as `ack()` does, expecting it accepted, or refused as no longer settleable.
    private func expectAcknowledged(
        _ delivery: KafkaPendingDelivery, in state: inout KafkaSubscriptionState, refused: Bool = false
    ) {
        let accepted = state.acknowledge(delivery.delivery())
        #expect(accepted != refused, "delivery \(delivery.offset) was \(accepted ? "accepted" : "refused")")
    }

    private let p0 = KafkaTopicPartition(topic: "orders", partition: 0)
    private let p1 = KafkaTopicPartition(topic: "orders", partition: 1)

    @Test("deliveries of two partitions, acknowledged out of order, commit each partition's lowest unacknowledged offset")
    func twoPartitions() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        state.assign(self.p1, tagFloor: 0)
        let first = self.deliveries(partition: 0, offsets: 10..<13, firstTag: 1)
        let second = self.deliveries(partition: 1, offsets: 5..<7, firstTag: 4)
        state.track(first + second)
        #expect(state.bufferedCount == 5)
        let handedOut = state.take(5)
        state.outstandingCount += handedOut.count
        #expect(acknowledged(&state, [first[1], second[1]]).isEmpty)  // 10 and 5 are still outstanding
        let advanced = acknowledged(&state, [first[0], second[0]])
        #expect(advanced.count == 2)
        #expect(advanced.contains { $0.0 == self.p0 && $0.1 == 12 })
        #expect(advanced.contains { $0.0 == self.p1 && $0.1 == 7 })
        #expect(state.outstandingCount == 1)
        #expect(acknowledged(&state, [first[2]]).map(\.1) == [13])
        #expect(state.outstandingCount == 0)
    }

    @Test("a buffer that never empties (taken one at a time while more arrive) does not keep what was taken")
    func takenDeliveriesAreDropped() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        state.track(self.deliveries(partition: 0, offsets: 0..<10, firstTag: 1))
        // A slow consumer: each poll hands on one record, each receive takes one; ten stay buffered throughout.
        for offset in Int64(10)..<10_000 {
            state.track(self.deliveries(partition: 0, offsets: offset..<offset + 1, firstTag: UInt64(offset) + 1))
            #expect(state.take(1).map(\.offset) == [offset - 10])
        }
        #expect(state.bufferedCount == 10)
        // Each entry kept its hand-off chunk (bytes and records) alive: the buffer held every delivery ever polled.
        #expect(state.buffer.count <= 2 * 10 + 65, "the buffer holds \(state.buffer.count) entries for 10 deliveries")
    }

    @Test("a delivery from before a revoke and reassignment commits nothing and is not counted twice")
    func earlierAssignment() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        let old = self.deliveries(partition: 0, offsets: 0..<4, firstTag: 1)
        handOut(old, count: 2, in: &state)  // two handed out, two still buffered
        state.revoke([self.p0])
        #expect(state.bufferedCount == 0)
        #expect(state.outstandingCount == 0)
        // Reassigned at the same offsets (nothing was committed): the records come again with newer tags.
        state.assign(self.p0, tagFloor: 4)
        let again = self.deliveries(partition: 0, offsets: 0..<4, firstTag: 5)
        handOut(again, in: &state)
        #expect(state.notOutstanding([old[0].delivery(), again[0].delivery()]) == [1])
        #expect(acknowledged(&state, [old[0], old[1]], refusing: [1, 2]).isEmpty)
        #expect(state.outstandingCount == 4)
        #expect(acknowledged(&state, again).map(\.1) == [4])
        #expect(state.outstandingCount == 0)
    }

    @Test("after a revoke the deliveries of the moved partition are not outstanding, but refused only once the subscription ended")
    func revokedIsRefusedOnlyOnceEnded() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        let moved = self.deliveries(partition: 0, offsets: 0..<2, firstTag: 1)
        handOut(moved, in: &state)
        state.revoke([self.p0])
        let stale = state.notOutstanding(moved.map { $0.delivery() })
        #expect(stale == [1, 2])
        // A rebalance while the subscription goes on: nothing to refuse, the new owner reads the records again.
        #expect(state.refused(stale).isEmpty)
        state.isClosed = true
        #expect(state.refused(stale) == [1, 2])
    }

    @Test("once the subscription ended, its deliveries are refused, one at a time or in a batch, and commit nothing")
    func endedAssignmentRefuses() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        state.assign(self.p1, tagFloor: 0)
        let first = self.deliveries(partition: 0, offsets: 0..<3, firstTag: 1)
        let second = self.deliveries(partition: 1, offsets: 10..<12, firstTag: 4)
        handOut(first, in: &state)
        handOut(second, in: &state)
        #expect(state.notOutstanding((first + second).map { $0.delivery() }).isEmpty)
        expectAcknowledged(first[0], in: &state)
        state.isClosed = true
        state.endAssignment()
        #expect(state.outstandingCount == 0)
        expectAcknowledged(first[1], in: &state, refused: true)
        #expect(state.notOutstanding([first[2].delivery(), second[0].delivery()]) == [3, 4])
        #expect(acknowledged(&state, [first[2], second[0], second[1]], refusing: [3, 4, 5]).isEmpty)
        #expect(state.outstandingCount == 0)
    }

    @Test("acknowledging one delivery at a time finds its partition again after the assignment grew, shrank and alternated")
    func oneAtATimeAcrossAssignmentChanges() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        let first = self.deliveries(partition: 0, offsets: 0..<4, firstTag: 1)
        handOut(first, in: &state)
        expectAcknowledged(first[0], in: &state)
        #expect(state.takeOffsetsToStore().map(\.1) == [1])
        // Twenty more partitions: the table grows and moves its entries.
        let others = (1...20).map { KafkaTopicPartition(topic: "orders", partition: Int32($0)) }
        for partition in others { state.assign(partition, tagFloor: 4) }
        let second = self.deliveries(partition: 7, offsets: 50..<52, firstTag: 5)
        handOut(second, in: &state)
        expectAcknowledged(first[1], in: &state)
        expectAcknowledged(second[0], in: &state)
        expectAcknowledged(first[2], in: &state)
        let stored = state.takeOffsetsToStore()
        #expect(stored.count == 2)
        #expect(stored.contains { $0.0 == self.p0 && $0.1 == 3 })
        #expect(stored.contains { $0.0 == others[6] && $0.1 == 51 })
        // Most partitions go again: the table shrinks; partition 0 keeps its bookkeeping.
        state.revoke(Set(others.filter { $0.partition != 7 }))
        expectAcknowledged(second[1], in: &state)
        expectAcknowledged(first[3], in: &state)
        let last = state.takeOffsetsToStore()
        #expect(last.contains { $0.0 == self.p0 && $0.1 == 4 })
        #expect(last.contains { $0.0 == others[6] && $0.1 == 52 })
        #expect(state.outstandingCount == 0)
    }

    @Test("records the client reads again within one assignment are dropped, not handed out twice; later ones go on")
    func recordsReadAgainAreDropped() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        let first = self.deliveries(partition: 0, offsets: 0..<4, firstTag: 1)
        #expect(state.track(first).isEmpty)
        state.outstandingCount += state.take(4).count
        // The client went back to offset 2 (after a pause, say): 2 and 3 again, then 4 and 5.
        let overlapping = self.deliveries(partition: 0, offsets: 2..<6, firstTag: 5)
        let readAgain = state.track(overlapping)
        #expect(readAgain.map(\.0) == [self.p0])
        #expect(readAgain.first?.1 == [2, 3])
        let handedOut = state.take(10)
        #expect(handedOut.map(\.offset) == [4, 5])
        state.outstandingCount += handedOut.count
        #expect(acknowledged(&state, first + handedOut).map(\.1) == [6])
        #expect(state.outstandingCount == 0)
    }

    @Test("a hand-off that carries records twice hands each out once, in ascending order")
    func recordsRepeatedWithinOneHandOffAreDropped() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        // One poll returned 0...3, then 2...5 again (a client that went back within one batch).
        let repeated = self.deliveries(partition: 0, offsets: 0..<4, firstTag: 1)
            + self.deliveries(partition: 0, offsets: 2..<6, firstTag: 5)
        let readAgain = state.track(repeated)
        #expect(readAgain.map(\.0) == [self.p0])
        #expect(readAgain.first?.1 == [2, 3])
        let handedOut = state.take(10)
        #expect(handedOut.map(\.offset) == [0, 1, 2, 3, 4, 5])
        state.outstandingCount += handedOut.count
        #expect(acknowledged(&state, handedOut).map(\.1) == [6])
        #expect(state.outstandingCount == 0)
    }

    @Test("acknowledgements between two stores leave one offset per partition, the newest; a revoked partition's is dropped")
    func storesAreBatched() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        state.assign(self.p1, tagFloor: 0)
        let first = self.deliveries(partition: 0, offsets: 0..<3, firstTag: 1)
        let second = self.deliveries(partition: 1, offsets: 0..<2, firstTag: 4)
        state.track(first + second)
        state.outstandingCount += state.take(5).count
        for delivery in first + second {
            let refused = state.acknowledge([delivery.delivery()])
            #expect(refused.isEmpty)
        }
        let stored = state.takeOffsetsToStore()
        #expect(stored.count == 2)
        #expect(stored.contains { $0.0 == self.p0 && $0.1 == 3 })
        #expect(stored.contains { $0.0 == self.p1 && $0.1 == 2 })
        #expect(state.takeOffsetsToStore().isEmpty)

        let more = self.deliveries(partition: 0, offsets: 3..<5, firstTag: 6)
        state.track(more)
        state.outstandingCount += state.take(2).count
        let refused = state.acknowledge(more.map { $0.delivery() })
        #expect(refused.isEmpty)
        state.revoke([self.p0])
        #expect(state.takeOffsetsToStore().isEmpty)
    }

    @Test("records of a partition that is not assigned are not buffered")
    func unassignedPartition() {
        var state = KafkaSubscriptionState()
        state.assign(self.p0, tagFloor: 0)
        state.track(self.deliveries(partition: 1, offsets: 0..<3, firstTag: 1) + self.deliveries(partition: 0, offsets: 0..<2, firstTag: 4))
        #expect(state.bufferedCount == 2)
        #expect(state.buffer.allSatisfy { $0.partition.partition == 0 })
    }

    @Test("a buffered record becomes its delivery when taken: payload, position and tag from the shared bytes")
    func pendingDeliveryMaterialises() {
        let pending = self.deliveries(partition: 3, offsets: 41..<43, firstTag: 7)
        let delivery = pending[1].delivery()
        #expect(delivery.message.text == "42")
        #expect(delivery.message.id == "orders-3-42")  // no ce_id: the record's position names it
        #expect(delivery.position == DeliveryPosition(partition: 3, offset: 42))
        #expect(delivery.tag == 8)
        #expect(pending[0].delivery().message.text == "41")
    }
}
