internal import CMessageBusRabbitMQ

/// A message being read from its method, header and body frames on one channel.
struct AMQPContentAssembly {
    /// What a `basic.return` said about an unroutable mandatory publish.
    struct Returned {
        let replyCode: UInt16
        let replyText: String
        let exchange: String
    }

    /// Set for `basic.return` (a mandatory publish that reached no queue); `nil` for `basic.deliver`.
    var returned: Returned?
    var deliveryTag: UInt64
    var redelivered: Bool
    var routingKey: String
    var properties = AMQPMessageDecoder.Properties()
    var bodySize = 0
    var body: [UInt8] = []
    var hasHeader = false

    var isComplete: Bool { self.hasHeader && self.body.count >= self.bodySize }

    /// Adds a content header or body frame of this message.
    mutating func add(_ frame: amqp_frame_t) {
        if Int32(frame.frame_type) == AMQP_FRAME_HEADER {
            guard let decoded = frame.payload.properties.decoded else { return }
            self.properties = AMQPMessageDecoder.properties(decoded)
            self.bodySize = Int(frame.payload.properties.body_size)
            self.body.reserveCapacity(self.bodySize)
            self.hasHeader = true
        } else {
            let fragment = frame.payload.body_fragment
            if let bytes = fragment.bytes, fragment.len > 0 {
                self.body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: fragment.len))
            }
        }
    }
}
