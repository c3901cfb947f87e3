/// A subscription's consumer as the owner thread tracks it: its channel, queue and unsettled AMQP tags.
final class AMQPConsumer {
    let request: SubscribeRequest
    /// The channel it consumes on; 0 while the connection is being recovered.
    var channel: UInt16 = 0
    /// The queue it consumes (server-named for broadcast, so it changes on recovery).
    var queueName = ""
    /// Delivery tags delivered and not yet settled on this channel.
    var unsettled = UnsettledTags()
    /// The message being read from its frames on this channel.
    var assembly: AMQPContentAssembly?
    /// For a stream consumer, the offset after the last delivery: where it resumes after a recovery, so the stream
    /// is not replayed from its original start position.
    var nextStreamOffset: Int64?

    init(request: SubscribeRequest) {
        self.request = request
    }

    /// Forgets the tags of a channel that is gone.
    func resetChannel() {
        self.channel = 0
        self.unsettled.removeAll()
        self.assembly = nil
    }
}
