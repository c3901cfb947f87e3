/// A message being read from its method, header and body frames on one channel.
struct AMQPContentAssembly {
    /// `basic.deliver` (a delivery) or `basic.return` (an unroutable mandatory publish, not delivered).
    var isReturn: Bool
    var deliveryTag: UInt64
    var redelivered: Bool
    var routingKey: String
    var properties = AMQPMessageDecoder.Properties()
    var bodySize = 0
    var body: [UInt8] = []
    var hasHeader = false

    var isComplete: Bool { self.hasHeader && self.body.count >= self.bodySize }
}
