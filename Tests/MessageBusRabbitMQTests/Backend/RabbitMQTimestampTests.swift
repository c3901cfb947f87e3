import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// AMQP's `timestamp` property has whole seconds; the backend carries the milliseconds in `timestamp_in_ms`.
@Suite(
    "RabbitMQ timestamps (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQTimestampTests {
    @Test("a time with milliseconds comes back to the millisecond, and the carrying header stays hidden")
    func millisecondsSurvive() async throws {
        try await RabbitMQTestBus.requireBroker()
        let bus = try await RabbitMQTestBus.open()
        let destination = "test.time.\(UUID().uuidString.prefix(8).lowercased())"
        let subscription = try await bus.subscribe(to: destination, group: "reader")
        let withMilliseconds = Message(
            payload: [1], headers: ["tenant": "acme"], timestamp: Date(timeIntervalSince1970: 1_767_225_600.123))
        let wholeSecond = Message(payload: [2], timestamp: Date(timeIntervalSince1970: 1_767_225_601))
        // A header of that name from the application is not sent twice: the time wins.
        var spoofed = Message(payload: [3], timestamp: Date(timeIntervalSince1970: 1_767_225_602.5))
        spoofed.headers.append(MessageHeader(name: "timestamp_in_ms", value: "1"))
        try await bus.publish(contentsOf: [withMilliseconds, wholeSecond, spoofed], to: destination)

        var received: [Message] = []
        while received.count < 3 {
            let batch = try await subscription.receive(max: 3, timeout: .seconds(10))
            try #require(!batch.isEmpty)
            try await batch.ackAll()
            received += batch.map(\.message)
        }

        #expect(received.map(\.timestamp) == [withMilliseconds, wholeSecond, spoofed].map(\.timestamp))
        #expect(received.map(\.headers) == [["tenant": "acme"], [:], [:]])
        try await bus.close()
    }
}
