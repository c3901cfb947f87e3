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
}
