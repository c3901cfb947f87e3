extension AMQPConnectionOwner {
    /// The name of a destination's retention exchange and queue. The colon keeps it apart from every group queue
    /// (`<destination>.<group>`), since portable destination and group names have no colon.
    static func retentionName(for destination: String) -> String {
        "\(destination):retained"
    }

    /// Declares a destination: the durable topic exchange, whose alternate exchange keeps what no queue takes.
    ///
    /// A message published while no queue is bound would be dropped by RabbitMQ; on every other backend a group
    /// that starts at `.earliest` later still receives it. So the destination's alternate exchange routes such
    /// messages to a bounded retention queue (the newest ``RabbitMQConfiguration/retention`` messages), whose
    /// dead-letter exchange is the destination itself: a new group moves them over by rejecting them.
    func declareDestination(_ destination: String, channel: UInt16) throws {
        guard let session = self.session else { throw AMQPFailure.connectionLost(code: nil, text: "not connected") }
        let retention = Self.retentionName(for: destination)
        try session.declareExchange(channel, name: retention, type: "fanout", durable: true, isInternal: true)
        var queueArguments = AMQPArguments()
        queueArguments.entries = [
            ("x-max-length", .integer(Int64(self.configuration.retention))),
            ("x-dead-letter-exchange", .text(destination)),
        ]
        _ = try session.declareQueue(
            channel, name: retention, durable: true, exclusive: false, autoDelete: false, arguments: queueArguments)
        try session.bindQueue(channel, queue: retention, exchange: retention, routingKey: "")
        var exchangeArguments = AMQPArguments()
        exchangeArguments.entries = [("alternate-exchange", .text(retention))]
        try session.declareExchange(channel, name: destination, type: "topic", durable: true, arguments: exchangeArguments)
    }

    /// The arguments of a group queue.
    var groupQueueArguments: AMQPArguments {
        var arguments = AMQPArguments()
        if self.configuration.groupQueueType == .quorum { arguments.entries = [("x-queue-type", .text("quorum"))] }
        return arguments
    }
}
