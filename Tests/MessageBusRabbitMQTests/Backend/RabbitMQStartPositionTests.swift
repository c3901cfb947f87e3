import MessageBusIntegrationSupport
import Foundation
import MessageBus
import Testing

/// What a new group sees on RabbitMQ: a group's queue starts when the group is first subscribed, so nothing
/// published before any group existed is replayed to it, whatever its start position.
@Suite(
    "RabbitMQ start positions (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQStartPositionTests {
    @Test("a new group gets what is published after subscribe returns, never earlier history, at .earliest or .latest")
    func newGroupStartsAtItsCreation() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.open() }) { bus in
            let destination = "test.start.\(UUID().uuidString.prefix(8).lowercased())"
            try await bus.publish(Message(text: "before any group", id: "early"), to: destination)

            let earliest = try await bus.subscribe(
                to: destination, group: "from-earliest", options: SubscriptionOptions(startPosition: .earliest))
            let latest = try await bus.subscribe(
                to: destination, group: "from-latest", options: SubscriptionOptions(startPosition: .latest))
            try await bus.publish(Message(text: "after both groups", id: "late"), to: destination)

            for subscription in [earliest, latest] {
                var ids: [String] = []
                // Keep reading a little after the expected message, so that a stray earlier one would show.
                try await eventually("'late' and a quiet batch (got \(ids))", timeout: .seconds(5), pollEvery: .zero) {
                    let batch = try await subscription.receive(max: 10, timeout: .milliseconds(500))
                    ids += batch.map(\.message.id)
                    try await batch.ackAll()
                    return ids.contains("late") && batch.isEmpty
                }
                #expect(ids == ["late"], "\(subscription.context.group ?? "?") received \(ids)")
            }
        }
    }
}
