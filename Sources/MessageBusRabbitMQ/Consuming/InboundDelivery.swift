import MessageBus

/// A delivery as the owner thread read it, before the async side wraps it in a ``MessageBus/Delivery``.
struct InboundDelivery: Sendable {
    let message: Message
    let attempt: Int
    let amqpTag: UInt64
    /// The offset in a stream queue; `nil` for other queues.
    let streamOffset: Int64?
    /// The AMQP properties beyond the message's fields; `nil` when none was set.
    let properties: RabbitMQMessageProperties?
    /// The opening of the channel it arrived on (unique per connection owner): its AMQP tag means nothing on a
    /// channel opened later, even one with the same number.
    let channelEpoch: Int
}
