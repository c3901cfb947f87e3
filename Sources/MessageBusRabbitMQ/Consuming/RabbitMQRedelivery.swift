import MessageBus

/// How the RabbitMQ backend redelivers what a subscriber gave back, where the broker alone would not count the
/// attempt or could not wait.
///
/// A quorum group queue requeues with `basic.nack` and counts the redelivery in `x-delivery-count`. Every other
/// redelivery is a copy published by the library with its attempt in ``WellKnownHeader/attempt``, then the
/// original is acknowledged: to the subscription's own queue through the default exchange for an immediate
/// requeue (classic queues only flag a redelivery, so they could not count past 2), or, for a retry after a
/// delay, to a retry queue of that queue whose messages expire after their delay and are dead-lettered back to it.
/// The default exchange routes by queue name, so the copy's routing key is the queue's, and the message key travels
/// in ``keyHeader`` meanwhile.
enum RabbitMQRedelivery {
    /// The message key of a copy the library republished (absent when the message had none).
    static let keyHeader = "messagebus-key"

    /// The retry queues of a queue, by the longest delay they are for. A retry waits in the first queue whose bound
    /// is at least its delay: a message only expires at the head of its queue, so each queue holds delays of one
    /// order of magnitude, and a retry waits at most about its bound behind a longer one.
    static let retryQueueBounds: [(Duration, String)] = [
        (.seconds(1), "1s"), (.seconds(10), "10s"), (.seconds(60), "1m"), (.seconds(600), "10m"),
        (.seconds(3600), "1h"),
    ]

    /// The retry queue of `queue` for a retry after `delay`.
    static func retryQueue(of queue: String, delay: Duration) -> String {
        let tier = Self.retryQueueBounds.first { delay <= $0.0 }?.1 ?? "long"
        return DestinationName.fitting("\(queue).retry-\(tier)", maxLength: RabbitMQName.maxLength)
    }

    /// The message of a delivery and its attempt: the attempt a republished copy carries (1 for a message from a
    /// publisher), plus the redeliveries the broker counted (`x-delivery-count` on quorum queues; on other queues,
    /// 1 when the `redelivered` flag is set). A republished copy gets its key back from ``keyHeader``.
    static func decode(
        _ properties: AMQPMessageDecoder.Properties, routingKey: String, body: [UInt8], redelivered: Bool
    ) -> (message: Message, attempt: Int) {
        var message = AMQPMessageDecoder.message(properties, routingKey: routingKey, body: body)
        var attempt = 1
        if let carried = message.headers[WellKnownHeader.attempt] {
            attempt = max(1, Int(carried) ?? 1)
            message.key = message.headers[Self.keyHeader]
            message.headers.removeAll(named: WellKnownHeader.attempt)
            message.headers.removeAll(named: Self.keyHeader)
        }
        return (message, attempt + (properties.deliveryCount ?? (redelivered ? 1 : 0)))
    }

    /// The copy of `delivery` that redelivers it through the default exchange to `queue`: attempt raised, routing
    /// key the queue's, message key in ``keyHeader``.
    static func copy(of delivery: Delivery, to queue: String) -> Message {
        var copy = delivery.message
        copy.headers.removeAll(named: WellKnownHeader.attempt)
        copy.headers.removeAll(named: Self.keyHeader)
        copy.headers.append(name: WellKnownHeader.attempt, value: String(delivery.attempt + 1))
        if let key = copy.key { copy.headers.append(name: Self.keyHeader, value: key) }
        copy.key = queue
        return copy
    }
}
