/// A subscription's consumer as the owner thread tracks it: its channel, queue and unsettled AMQP tags.
final class AMQPConsumer {
    let request: SubscribeRequest
    /// The channel it consumes on; 0 while the connection is being recovered.
    var channel: UInt16 = 0
    /// Which opening of a channel it consumes on (see ``AMQPConnectionOwner/lastChannelEpoch``).
    var channelEpoch = 0
    /// The queue it consumes (server-named for broadcast, so it changes on recovery).
    var queueName = ""
    /// Delivery tags delivered and not yet settled on this channel.
    var unsettled = UnsettledTags()
    /// The message being read from its frames on this channel.
    var assembly: AMQPContentAssembly?
    /// For a stream consumer, where it resumes after a recovery rather than at its original start position: after
    /// the last delivery read, or at the first one dropped unread from the inbox when the connection went.
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
