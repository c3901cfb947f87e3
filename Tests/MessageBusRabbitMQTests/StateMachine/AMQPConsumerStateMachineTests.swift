import MessageBus
@testable import MessageBusRabbitMQ
import Testing

/// The consuming decisions of a RabbitMQ connection, alone (no broker): channel numbers, channel openings,
/// unsettled tags and the acknowledgement frames a settlement becomes, channel errors, cancellations, a lost
/// connection and its recovery, and stream positions.
@Suite("RabbitMQ consumer state machine")
struct AMQPConsumerStateMachineTests {
    typealias Frame = AMQPConsumerStateMachine.SettlementFrame

    static func request(
        _ id: UInt64, source: SubscribeRequest.Source = .destination(
            "orders", group: "billing", queue: "orders.billing", deadLetterExchange: "orders.dlq"),
        tracksSettlement: Bool = true
    ) -> SubscribeRequest {
        SubscribeRequest(
            subscriptionID: id, source: source, prefetch: 10,
            inbox: RabbitMQInbox(tracksSettlement: tracksSettlement, prefetch: 10), completion: { _ in })
    }

    static let poller = SubscribeRequest.Source.polling
    static let stream = SubscribeRequest.Source.queue("events", arguments: AMQPArguments())

    /// A machine with `ids` started in order, each on the channel it was given.
    static func started(_ ids: [UInt64], sources: [UInt64: SubscribeRequest.Source] = [:]) -> AMQPConsumerStateMachine {
        var machine = AMQPConsumerStateMachine()
        for id in ids {
            let channel = machine.channelToOpen(channelMax: 2047)
            let request = sources[id].map { Self.request(id, source: $0) } ?? Self.request(id)
            machine.started(request, channel: channel, queueName: "q\(id)")
        }
        return machine
    }

    static func deliver(_ tags: ClosedRange<UInt64>, on channel: UInt16, to machine: inout AMQPConsumerStateMachine) {
        for tag in tags { _ = machine.delivered(tag: tag, streamOffset: nil, tracked: true, on: channel) }
    }

    static func settle(
        _ tags: [UInt64], of id: UInt64, epoch: Int, outcome: SettleRequest.Outcome = .ack,
        in machine: inout AMQPConsumerStateMachine
    ) -> (accepted: Bool, frames: [Frame]) {
        var frames: [Frame] = []
        let accepted = machine.settle(
            SettleRequest(subscriptionID: id, channelEpoch: epoch, amqpTags: tags, outcome: outcome), into: &frames) != nil
        return (accepted, frames)
    }

    // MARK: Channels

    @Test("subscriptions get channels from 3 in turn, and a number just closed comes back only after the others")
    func channelsInTurn() {
        var machine = Self.started([1, 2])
        #expect(machine.consumers[1]?.channel == 3)
        #expect(machine.consumers[2]?.channel == 4)
        #expect(machine.consumer(on: 3)?.subscriptionID == 1)
        #expect(machine.remove(1)?.channel == 3)
        #expect(machine.consumer(on: 3) == nil, "a removed subscription's channel takes no more frames")
        let next = machine.channelToOpen(channelMax: 5)
        #expect(next == 5, "not 3, whose frames may still be queued")
        machine.started(Self.request(3), channel: next, queueName: "q3")
        #expect(machine.channelToOpen(channelMax: 5) == 3, "wraps at the connection's channel_max; 4 and 5 are in use")
    }

    @Test("every channel opening has a new epoch, across restarts")
    func epochsAreNew() {
        var machine = Self.started([1, 2])
        let first = machine.consumers[1]!.channelEpoch
        #expect(machine.consumers[2]!.channelEpoch == first + 1)
        machine.connectionLost()
        machine.started(Self.request(1), channel: machine.channelToOpen(channelMax: 2047), queueName: "q1")
        #expect(machine.consumers[1]!.channelEpoch == first + 2)
    }

    // MARK: Deliveries and settlement

    @Test("a delivery on a channel no subscription uses is dropped; one on a known channel is unsettled until settled")
    func deliveriesTracked() {
        var machine = Self.started([1])
        #expect(machine.delivered(tag: 1, streamOffset: nil, tracked: true, on: 9) == nil)
        #expect(!machine.holdsUnsettledDeliveries)
        let consumer = machine.delivered(tag: 1, streamOffset: nil, tracked: true, on: 3)
        #expect(consumer?.subscriptionID == 1)
        #expect(machine.holdsUnsettledDeliveries)
        let settled = Self.settle([1], of: 1, epoch: consumer!.channelEpoch, in: &machine)
        #expect(settled.accepted)
        #expect(settled.frames == [Frame(channel: 3, tag: 1, multiple: false, outcome: .ack)])
        #expect(!machine.holdsUnsettledDeliveries)
    }

    @Test("a no-ack delivery (basic.get without acknowledgement) is not tracked")
    func noAckNotTracked() {
        var machine = Self.started([1], sources: [1: Self.poller])
        #expect(machine.delivered(tag: 1, streamOffset: nil, tracked: false, on: 3) != nil)
        #expect(!machine.holdsUnsettledDeliveries)
    }

    @Test("the oldest run of tags goes as one multiple frame, the rest one by one, in order, with the outcome")
    func settlementFrames() {
        var machine = Self.started([1])
        let epoch = machine.consumers[1]!.channelEpoch
        Self.deliver(1...8, on: 3, to: &machine)

        let run = Self.settle([2, 1, 3, 6, 5], of: 1, epoch: epoch, outcome: .requeue, in: &machine)
        #expect(run.frames == [
            Frame(channel: 3, tag: 3, multiple: true, outcome: .requeue),
            Frame(channel: 3, tag: 5, multiple: false, outcome: .requeue),
            Frame(channel: 3, tag: 6, multiple: false, outcome: .requeue),
        ])
        let next = Self.settle([4], of: 1, epoch: epoch, outcome: .discard, in: &machine)
        #expect(next.frames == [Frame(channel: 3, tag: 4, multiple: false, outcome: .discard)],
            "one tag below the oldest unsettled is not sent as multiple: it would settle 5 and 6 again")
        let rest = Self.settle([7, 8], of: 1, epoch: epoch, in: &machine)
        #expect(rest.frames == [Frame(channel: 3, tag: 8, multiple: true, outcome: .ack)])
        #expect(!machine.holdsUnsettledDeliveries)
    }

    @Test("a tag settled twice, or never delivered, writes nothing: the broker would close the channel")
    func doubleSettlementWritesNothing() {
        var machine = Self.started([1])
        let epoch = machine.consumers[1]!.channelEpoch
        Self.deliver(1...2, on: 3, to: &machine)
        #expect(Self.settle([1], of: 1, epoch: epoch, in: &machine).frames.count == 1)
        let again = Self.settle([1, 99], of: 1, epoch: epoch, in: &machine)
        #expect(again.accepted)
        #expect(again.frames.isEmpty)
    }

    @Test("settlements for a channel opening that is gone, or an ended subscription, are refused")
    func staleSettlementsRefused() {
        var machine = Self.started([1, 2])
        let oldEpoch = machine.consumers[1]!.channelEpoch
        Self.deliver(1...3, on: 3, to: &machine)
        machine.connectionLost()
        #expect(!Self.settle([1], of: 1, epoch: oldEpoch, in: &machine).accepted, "no channel while recovering")
        machine.started(Self.request(1), channel: machine.channelToOpen(channelMax: 2047), queueName: "q1")
        Self.deliver(1...3, on: machine.consumers[1]!.channel, to: &machine)
        let stale = Self.settle([1, 2, 3], of: 1, epoch: oldEpoch, in: &machine)
        #expect(!stale.accepted && stale.frames.isEmpty, "tag 1 of the old channel is not tag 1 of the new one")
        #expect(machine.holdsUnsettledDeliveries, "the new channel's deliveries stay unsettled")
        _ = machine.remove(2)
        #expect(!Self.settle([1], of: 2, epoch: machine.consumers[1]!.channelEpoch, in: &machine).accepted)
    }

    // MARK: Endings

    @Test("the broker closing a consumer's channel ends it; a poller's is reset; an unknown channel is ignored")
    func channelLoss() {
        var machine = Self.started([1, 2], sources: [2: Self.poller])
        guard case .ended(let consumer) = machine.channelLost(3) else {
            Issue.record("the consumer's subscription should end")
            return
        }
        #expect(consumer.subscriptionID == 1 && consumer.queueName == "q1")
        #expect(machine.consumers[1] == nil)
        guard case .pollerReset(let poller) = machine.channelLost(4) else {
            Issue.record("the poller should be reset")
            return
        }
        #expect(poller.subscriptionID == 2)
        #expect(!machine.pollerHasChannel(2), "the next get opens a new channel")
        guard case .unknown = machine.channelLost(3) else {
            Issue.record("a channel no subscription uses means nothing")
            return
        }
    }

    @Test("a lost connection keeps the subscriptions without channels; recovery restarts consumers in order, not pollers")
    func connectionLossAndRestart() {
        var machine = Self.started([3, 1, 2], sources: [2: Self.poller])
        Self.deliver(1...4, on: machine.consumers[1]!.channel, to: &machine)
        machine.connectionLost()
        #expect(machine.consumers.count == 3)
        #expect(machine.consumers.values.allSatisfy { $0.channel == 0 })
        #expect(!machine.holdsUnsettledDeliveries, "the broker requeued them with the connection")
        #expect((3...5).allSatisfy { machine.consumer(on: UInt16($0)) == nil })
        #expect(machine.consumersToRestart.map(\.subscriptionID) == [1, 3])
        #expect(!machine.pollerHasChannel(2))
    }

    @Test("a stream consumer resumes after its last delivery, or at the first one its inbox dropped")
    func streamPositions() {
        var machine = Self.started([1], sources: [1: Self.stream])
        _ = machine.delivered(tag: 1, streamOffset: 40, tracked: true, on: 3)
        _ = machine.delivered(tag: 2, streamOffset: 41, tracked: true, on: 3)
        #expect(machine.consumers[1]?.nextStreamOffset == 42)
        machine.connectionLost()
        machine.resumeStream(1, at: 41)
        machine.started(Self.request(1, source: Self.stream), channel: 6, queueName: "events")
        #expect(machine.consumers[1]?.nextStreamOffset == 41, "a restart keeps the position")
    }

    @Test("the connection machine ends every subscription when it terminates, with the error unless closed")
    func terminationEndsSubscriptions() {
        let cases: [(MessageBusError, MessageBusError.Code?)] = [
            (MessageBusError(.closed, "the RabbitMQ bus is closed"), nil),
            (MessageBusError(.connectionFailed, "gone"), .connectionFailed),
        ]
        for (error, expected) in cases {
            var connection = AMQPConnectionStateMachine(settings: .init(
                confirmWindow: 4, publishTimeout: .seconds(5), recoversConnection: true))
            connection.connectionOpened()
            connection.consumers = Self.started([1, 2])
            var actions: [AMQPConnectionStateMachine.Action] = []
            connection.terminate(with: error, into: &actions)
            let ended = actions.compactMap { action -> MessageBusError?? in
                if case .endSubscription(_, let error) = action { return .some(error) }
                return nil
            }
            #expect(ended.count == 2)
            #expect(ended.allSatisfy { $0?.code == expected })
            #expect(connection.consumers.consumers.isEmpty)
        }
    }

    @Test("the connection machine's connection loss takes the consumer channels with it")
    func connectionLossReachesConsumers() {
        var connection = AMQPConnectionStateMachine(settings: .init(
            confirmWindow: 4, publishTimeout: .seconds(5), recoversConnection: true))
        connection.connectionOpened()
        connection.consumers = Self.started([1])
        Self.deliver(1...2, on: 3, to: &connection.consumers)
        var actions: [AMQPConnectionStateMachine.Action] = []
        _ = connection.connectionLost(
            reason: "reset", replyLost: MessageBusError(.connectionFailed, "lost"), into: &actions)
        #expect(connection.consumers.consumers[1]?.channel == 0)
        #expect(!connection.consumers.holdsUnsettledDeliveries)
    }
}
