@testable import MessageBus
import Testing

/// The in-memory broker's rules, driven as a value with no I/O.
@Suite("In-memory broker state machine")
struct InMemoryBrokerStateTests {
    private func messages(_ ids: String...) -> [Message] {
        ids.map { Message(text: $0, id: $0) }
    }

    private func subscribe(
        _ state: inout InMemoryBrokerState,
        group: String? = "g",
        start: StartPosition = .earliest,
        prefetch: Int = 10,
        owner: Int = 1,
        settlesOnHandout: Bool = false
    ) -> Int {
        state.subscribe(
            destination: "d", group: group, start: start, prefetch: prefetch, owner: owner,
            settlesOnHandout: settlesOnHandout
        ).0
    }

    @Test func newGroupStartsAtEarliestOrLatest() {
        var state = InMemoryBrokerState(retention: 100)
        _ = state.publish(messages("a", "b"), to: "d")
        let early = subscribe(&state, group: "early", start: .earliest)
        let late = subscribe(&state, group: "late", start: .latest)
        #expect(state.receive(consumer: early, max: 10).0.map(\.message.id) == ["a", "b"])
        #expect(state.receive(consumer: late, max: 10).0.isEmpty)
        _ = state.publish(messages("c"), to: "d")
        #expect(state.receive(consumer: late, max: 10).0.map(\.message.id) == ["c"])
    }

    @Test func replayFromOffset() {
        var state = InMemoryBrokerState(retention: 100)
        _ = state.publish(messages("a", "b", "c"), to: "d")
        let consumer = subscribe(&state, start: .offset(1))
        let handouts = state.receive(consumer: consumer, max: 10).0
        #expect(handouts.map(\.message.id) == ["b", "c"])
        #expect(handouts.map(\.offset) == [1, 2])
    }

    @Test func prefetchBoundsWhatIsDispatched() {
        var state = InMemoryBrokerState(retention: 100)
        let consumer = subscribe(&state, prefetch: 2)
        let effects = state.publish(messages("a", "b", "c", "d"), to: "d")
        #expect(effects.woken == [consumer])
        #expect(state.unsettledCount(consumer) == 2)
        let first = state.receive(consumer: consumer, max: 10).0
        #expect(first.map(\.message.id) == ["a", "b"])
        #expect(state.receive(consumer: consumer, max: 10).0.isEmpty)
        let afterAck = state.settle([first[0].tag], consumer: consumer, as: .ack, deadLetterDestination: "d.dlq")
        #expect(afterAck.woken == [consumer])
        #expect(state.receive(consumer: consumer, max: 10).0.map(\.message.id) == ["c"])
    }

    @Test func competingMembersShareRoundRobin() {
        var state = InMemoryBrokerState(retention: 100)
        let first = subscribe(&state, owner: 1)
        let second = subscribe(&state, owner: 2)
        _ = state.publish(messages("a", "b", "c", "d"), to: "d")
        #expect(state.receive(consumer: first, max: 10).0.map(\.message.id) == ["a", "c"])
        #expect(state.receive(consumer: second, max: 10).0.map(\.message.id) == ["b", "d"])
    }

    @Test func requeueGoesToTheFrontWithAttemptRaised() {
        var state = InMemoryBrokerState(retention: 100)
        let consumer = subscribe(&state, prefetch: 1)
        _ = state.publish(messages("a", "b"), to: "d")
        let first = state.receive(consumer: consumer, max: 1).0[0]
        #expect(first.attempt == 1)
        _ = state.settle([first.tag], consumer: consumer, as: .requeue, deadLetterDestination: "d.dlq")
        let again = state.receive(consumer: consumer, max: 1).0[0]
        #expect(again.message.id == "a")
        #expect(again.attempt == 2)
        #expect(again.tag != first.tag)
        #expect(state.unknownTags([first.tag, again.tag], consumer: consumer) == [first.tag])
    }

    @Test func deadLetterCarriesReasonToTheDeadLetterDestination() {
        var state = InMemoryBrokerState(retention: 100)
        let inspector = state.subscribe(
            destination: "d.dlq", group: "inspect", start: .earliest, prefetch: 10, owner: 1, settlesOnHandout: false
        ).0
        let consumer = subscribe(&state)
        _ = state.publish(messages("poison"), to: "d")
        let delivery = state.receive(consumer: consumer, max: 1).0[0]
        let effects = state.settle(
            [delivery.tag], consumer: consumer, as: .deadLetter(reason: "bad"), deadLetterDestination: "d.dlq")
        #expect(effects.woken.contains(inspector))
        let dead = state.receive(consumer: inspector, max: 1).0[0]
        #expect(dead.message.id == "poison")
        #expect(dead.message.headers[WellKnownHeader.deadLetterReason] == "bad")
        #expect(dead.message.headers[WellKnownHeader.deadLetterSource] == "d")
        #expect(dead.message.headers[WellKnownHeader.deadLetterAttempt] == "1")
    }

    @Test func unsubscribeGivesUnsettledBackInOrderAndNotHandedOnesKeepTheirAttempt() {
        var state = InMemoryBrokerState(retention: 100)
        let first = subscribe(&state, prefetch: 3)
        _ = state.publish(messages("a", "b", "c"), to: "d")
        _ = state.receive(consumer: first, max: 2)
        _ = state.unsubscribe(first)
        let second = subscribe(&state, prefetch: 3)
        let handouts = state.receive(consumer: second, max: 10).0
        #expect(handouts.map(\.message.id) == ["a", "b", "c"])
        #expect(handouts.map(\.attempt) == [2, 2, 1])
    }

    @Test func broadcastGroupDisappearsWithItsMember() {
        var state = InMemoryBrokerState(retention: 100)
        let listener = subscribe(&state, group: nil, start: .latest)
        _ = state.unsubscribe(listener)
        #expect(!state.isSubscribed(listener))
        _ = state.publish(messages("a"), to: "d")
        let next = subscribe(&state, group: nil, start: .latest)
        #expect(state.receive(consumer: next, max: 10).0.isEmpty)
    }

    @Test func droppedConnectionInvalidatesTagsAndRedelivers() {
        var state = InMemoryBrokerState(retention: 100)
        let consumer = subscribe(&state, owner: 7)
        _ = state.publish(messages("a"), to: "d")
        let before = state.receive(consumer: consumer, max: 1).0[0]
        _ = state.dropConnection(of: 7)
        #expect(state.unknownTags([before.tag], consumer: consumer) == [before.tag])
        let after = state.receive(consumer: consumer, max: 1).0[0]
        #expect(after.message.id == "a")
        #expect(after.attempt == 2)
    }

    @Test func atMostOnceSettlesOnHandout() {
        var state = InMemoryBrokerState(retention: 100)
        let consumer = subscribe(&state, prefetch: 1, settlesOnHandout: true)
        _ = state.publish(messages("a", "b"), to: "d")
        #expect(state.receive(consumer: consumer, max: 1).0.map(\.message.id) == ["a"])
        #expect(state.unsettledCount(consumer) == 1)
        _ = state.unsubscribe(consumer)
        let next = subscribe(&state, prefetch: 5)
        #expect(state.receive(consumer: next, max: 10).0.map(\.message.id) == ["b"])
    }

    @Test func retentionKeepsTheNewestMessages() {
        var state = InMemoryBrokerState(retention: 2)
        _ = state.publish(messages("a", "b", "c"), to: "d")
        let consumer = subscribe(&state)
        #expect(state.receive(consumer: consumer, max: 10).0.map(\.message.id) == ["b", "c"])
    }

    @Test func restartRedeliversToGroupsAndEmptiesBroadcastQueues() {
        var state = InMemoryBrokerState(retention: 100)
        let worker = subscribe(&state, prefetch: 1, owner: 1)
        let listener = subscribe(&state, group: nil, start: .latest, prefetch: 1, owner: 2)
        _ = state.publish(messages("a", "b"), to: "d")
        let before = state.receive(consumer: worker, max: 1).0[0]
        _ = state.restart()
        #expect(state.unknownTags([before.tag], consumer: worker) == [before.tag])
        #expect(state.receive(consumer: worker, max: 1).0.map(\.message.id) == ["a"])
        #expect(state.receive(consumer: listener, max: 10).0.isEmpty)
    }
}
