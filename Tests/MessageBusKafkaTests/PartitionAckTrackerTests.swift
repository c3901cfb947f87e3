@testable import MessageBusKafka
import Testing

/// Out-of-order acknowledgements commit, per partition, only the offset below which everything is acknowledged.
@Suite("Partition ack tracker")
struct PartitionAckTrackerTests {
    @Test("out-of-order acks commit the lowest unacknowledged offset")
    func outOfOrder() {
        var tracker = PartitionAckTracker()
        for offset in Int64(10)..<Int64(15) { tracker.delivered(offset) }
        #expect(tracker.acknowledge(12) == nil)  // 10 is still outstanding
        #expect(tracker.acknowledge(11) == nil)
        #expect(tracker.acknowledge(10) == 13)  // 10, 11, 12 done: 13 is next
        #expect(tracker.acknowledge(14) == nil)
        #expect(tracker.acknowledge(13) == 15)  // everything done: one past the last
        #expect(tracker.outstandingCount == 0)
    }

    @Test("a second ack of the same offset changes nothing")
    func duplicateAck() {
        var tracker = PartitionAckTracker()
        tracker.delivered(0)
        tracker.delivered(1)
        #expect(tracker.acknowledge(0) == 1)
        #expect(tracker.acknowledge(0) == nil)
        #expect(tracker.acknowledge(1) == 2)
    }

    @Test("gaps in offsets (compaction, transaction markers) do not stall commits")
    func gaps() {
        var tracker = PartitionAckTracker()
        for offset: Int64 in [3, 7, 8, 20] { tracker.delivered(offset) }
        #expect(tracker.acknowledge(7) == nil)
        #expect(tracker.acknowledge(3) == 8)
        #expect(tracker.acknowledge(20) == nil)
        #expect(tracker.acknowledge(8) == 21)
    }

    @Test("many acks in random order end at one past the last offset")
    func randomOrder() {
        var tracker = PartitionAckTracker()
        for offset in Int64(0)..<Int64(1000) { tracker.delivered(offset) }
        var last: Int64?
        for offset in (Int64(0)..<Int64(1000)).shuffled() {
            if let committable = tracker.acknowledge(offset) {
                if let previous = last { #expect(committable > previous) }
                last = committable
            }
        }
        #expect(last == 1000)
    }
}
