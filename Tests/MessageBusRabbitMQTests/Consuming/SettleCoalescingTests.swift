@testable import MessageBusRabbitMQ
import Testing

/// Settlements queued one delivery at a time reach the owner thread merged, so they can go as one `multiple` ack.
@Suite("Settlement coalescing")
struct SettleCoalescingTests {
    private func settle(_ subscription: UInt64, epoch: Int = 1, _ tags: [UInt64], _ outcome: SettleRequest.Outcome = .ack)
        -> ConnectionCommand
    {
        .settle(SettleRequest(subscriptionID: subscription, channelEpoch: epoch, amqpTags: tags, outcome: outcome))
    }

    private func requests(_ commands: [ConnectionCommand]) -> [SettleRequest?] {
        commands.map { command in
            if case .settle(let request) = command { return request }
            return nil
        }
    }

    @Test("one request per subscription, channel opening and outcome, tags in order")
    func mergesARun() {
        let merged = self.requests(SettleRequest.coalescing([
            self.settle(1, [1]), self.settle(2, [7]), self.settle(1, [2]), self.settle(1, [3], .requeue),
            self.settle(1, epoch: 2, [1]), self.settle(1, [4]), self.settle(2, [8]),
        ]))
        #expect(merged.count == 4)
        #expect(merged[0]?.subscriptionID == 1 && merged[0]?.amqpTags == [1, 2, 4] && merged[0]?.outcome == .ack)
        #expect(merged[1]?.subscriptionID == 2 && merged[1]?.amqpTags == [7, 8])
        #expect(merged[2]?.amqpTags == [3] && merged[2]?.outcome == .requeue)
        #expect(merged[3]?.channelEpoch == 2 && merged[3]?.amqpTags == [1])
    }

    @Test("another command ends a run: settlements never move across it")
    func otherCommandsSplitRuns() {
        let merged = self.requests(SettleRequest.coalescing([
            self.settle(1, [1]), self.settle(1, [2]), .cancel(subscriptionID: 1, completion: {}), self.settle(1, [3]),
        ]))
        #expect(merged.count == 3)
        #expect(merged[0]?.amqpTags == [1, 2])
        #expect(merged[1] == nil)
        #expect(merged[2]?.amqpTags == [3])
    }
}
