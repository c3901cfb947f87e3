public import Foundation

/// Where a consumer of a stream queue starts (`x-stream-offset`); see
/// ``RabbitMQMessageBus/subscribe(toQueue:options:streamOffset:)``.
public enum RabbitMQStreamOffset: Sendable, Hashable {
    /// The oldest message the stream still keeps.
    case first
    /// The last chunk of messages written (a few of the newest messages).
    case last
    /// Only messages written after the consumer starts.
    case next
    /// The message at this offset (each delivery's ``/MessageBus/Delivery/position`` carries its offset).
    case offset(Int64)
    /// The first chunk written at or after this time (second precision).
    case timestamp(Date)

    /// The consume arguments that start a consumer here.
    var consumeArguments: AMQPArguments {
        let value: AMQPArguments.Value
        switch self {
        case .first: value = .text("first")
        case .last: value = .text("last")
        case .next: value = .text("next")
        case .offset(let offset): value = .integer(offset)
        case .timestamp(let date): value = .timestamp(UInt64(max(0, date.timeIntervalSince1970)))
        }
        return AMQPArguments(entries: [(AMQPHeaderName.streamOffset, value)])
    }
}
