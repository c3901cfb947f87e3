@testable import MessageBusKafka
import Testing

/// The ledger that makes attempts count across cancels, rebalances and crashes on Kafka, alone.
@Suite("Kafka delivery ledger")
struct KafkaDeliveryLedgerTests {
    @Test("a partition read for the first time has no earlier deliveries, and remembers what it handed out")
    func firstRead() {
        var ledger = KafkaDeliveryLedger(metadata: nil, committed: 0)
        #expect(!ledger.hasHistory)
        #expect(ledger.earlierDeliveries(of: 0) == 0)
        #expect(ledger.metadata(committed: 0) == nil)
        ledger.handedOut(through: 9)
        #expect(ledger.metadata(committed: 0) == "mb1:9:1")
        // Acknowledged up to 4: only what is above the commit is remembered.
        #expect(ledger.metadata(committed: 5) == "mb1:9:1")
        #expect(ledger.metadata(committed: 10) == nil)
    }

    @Test("the next member counts one more delivery for what was handed out before, and none for the rest")
    func nextMember() {
        var ledger = KafkaDeliveryLedger(metadata: "mb1:9:1", committed: 5)
        #expect(ledger.earlierDeliveries(of: 5) == 1)
        #expect(ledger.earlierDeliveries(of: 9) == 1)
        #expect(ledger.earlierDeliveries(of: 10) == 0)
        ledger.handedOut(through: 7)
        #expect(ledger.metadata(committed: 5) == "mb1:7:2,9:1")
        ledger.handedOut(through: 14)
        #expect(ledger.metadata(committed: 5) == "mb1:9:2,14:1")
        var third = KafkaDeliveryLedger(metadata: ledger.metadata(committed: 5), committed: 5)
        #expect(third.earlierDeliveries(of: 6) == 2)
        #expect(third.earlierDeliveries(of: 12) == 1)
        third.handedOut(through: 20)
        #expect(third.metadata(committed: 8) == "mb1:9:3,14:2,20:1")
    }

    @Test("metadata that is not a ledger (another client's, or damaged) reads as none")
    func foreignMetadata() {
        for metadata in ["", "hello", "mb1:", "mb1:x:1", "mb1:5:0", "mb1:9:1,3:1", "mb2:9:1", "mb1:9:1:2"] {
            #expect(!KafkaDeliveryLedger(metadata: metadata, committed: 0).hasHistory, "\(metadata)")
        }
    }

    @Test("past the range limit the oldest ranges merge with the fewer deliveries")
    func rangeLimit() {
        var history = KafkaDeliveryLedger()
        for round in 1...(KafkaDeliveryLedger.maxRanges + 4) {
            var next = KafkaDeliveryLedger(metadata: history.metadata(committed: 0), committed: 0)
            next.handedOut(through: Int64(round * 10))
            history = next
        }
        let ranges = history.ranges(committed: 0)
        #expect(ranges.count == KafkaDeliveryLedger.maxRanges)
        #expect(ranges.map(\.deliveries) == ranges.map(\.deliveries).sorted(by: >))
        #expect(ranges.last == .init(last: Int64((KafkaDeliveryLedger.maxRanges + 4) * 10), deliveries: 1))
    }

    @Test("a seek within an assignment counts what is read again as another delivery")
    func rebase() {
        var ledger = KafkaDeliveryLedger(metadata: nil, committed: 0)
        ledger.handedOut(through: 4)
        var afterSeek = ledger.rebased(committed: 0)
        #expect(afterSeek.earlierDeliveries(of: 2) == 1)
        afterSeek.handedOut(through: 2)
        #expect(afterSeek.metadata(committed: 0) == "mb1:2:2,4:1")
    }

    @Test("records polled into the buffer and dropped unhanded do not count as delivered")
    func droppedUnhanded() {
        var ledger = KafkaDeliveryLedger(metadata: nil, committed: 0)
        ledger.handedOut(through: 99)
        ledger.notHandedOut(from: 10)
        #expect(ledger.metadata(committed: 5) == "mb1:9:1")
        ledger.notHandedOut(from: 0)
        #expect(ledger.metadata(committed: 0) == nil)
    }
}
