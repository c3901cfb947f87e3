extension AMQPConnectionOwner {
    /// Declares a destination: a durable topic exchange, so that every group queue and broadcast queue bound with
    /// `#` gets every message, whatever its key.
    ///
    /// Nothing keeps what is published while no queue is bound: RabbitMQ drops it (or returns it, for a
    /// mandatory publish). A group's `.earliest` therefore means "since its queue was first declared", which
    /// `subscribe` does before it returns.
    func declareDestination(_ destination: String, channel: UInt16) throws {
        guard let session = self.session else { throw AMQPFailure.connectionLost(code: nil, text: "not connected") }
        try session.declareExchange(channel, name: destination, type: "topic", durable: true)
    }

    /// The arguments of a group queue.
    var groupQueueArguments: AMQPArguments {
        var arguments = AMQPArguments()
        if self.configuration.groupQueueType == .quorum { arguments.entries = [("x-queue-type", .text("quorum"))] }
        return arguments
    }
}
