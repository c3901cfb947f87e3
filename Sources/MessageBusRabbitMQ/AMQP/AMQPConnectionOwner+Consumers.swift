import Logging
import MessageBus

extension AMQPConnectionOwner {
    /// Declares the subscription's topology on a channel of its own and starts its consumer.
    func subscribe(_ request: SubscribeRequest) throws {
        guard self.session != nil else {
            request.completion(.failure(MessageBusError(.connectionFailed, "RabbitMQ is not connected (recovering)")))
            return
        }
        let consumer = AMQPConsumer(request: request)
        do {
            try self.startConsumer(consumer, declareGroupQueue: true)
            self.consumers[request.subscriptionID] = consumer
            request.completion(.success(()))
        } catch let failure as AMQPFailure {
            request.completion(.failure(failure.messageBusError("subscribing to \(request.summary)")))
            if case .connectionLost = failure { throw failure }
        }
    }

    /// Opens a channel for `consumer`, sets its prefetch, declares exchange, dead-letter exchange, queue and
    /// binding, and registers `basic.consume`. On a channel error the channel is released and the error thrown.
    func startConsumer(_ consumer: AMQPConsumer, declareGroupQueue: Bool) throws {
        guard let session = self.session else { throw AMQPFailure.connectionLost(code: nil, text: "not connected") }
        let request = consumer.request
        let channel = self.freeChannelNumber()
        try session.openChannel(channel)
        // A channel error below leaves the channel closed by the broker, so its number is free again.
        try session.setPrefetch(channel, count: request.prefetch)
        let queueName: String
        switch request.source {
        case .destination(let destination, let group, let queue, let deadLetterExchange):
            try self.ensureExchange(destination, channel: channel)
            try self.ensureExchange(deadLetterExchange, channel: channel)
            queueName = queue
            if let group {
                if declareGroupQueue {
                    // The group's queue on the dead-letter destination too: a dead letter published before anyone
                    // reads that destination is kept there, never dropped (and is what the group reads from it).
                    for (name, exchange) in [
                        (queue, destination),
                        (RabbitMQName.groupQueue(destination: deadLetterExchange, group: group), deadLetterExchange),
                    ] {
                        _ = try session.declareQueue(
                            channel, name: name, durable: true, exclusive: false, autoDelete: false,
                            arguments: self.groupQueueArguments)
                        try session.bindQueue(channel, queue: name, exchange: exchange, routingKey: "#")
                        self.topology.record(.groupQueue(queue: name, destination: exchange))
                    }
                }
            } else {
                // A broadcast subscriber gets its own queue that disappears with it.
                _ = try session.declareQueue(channel, name: queue, durable: false, exclusive: true, autoDelete: true)
                try session.bindQueue(channel, queue: queue, exchange: destination, routingKey: "#")
            }
            _ = try session.consume(channel, queue: queueName)
        case .queue(let queue, var arguments):
            queueName = queue
            if let resume = consumer.nextStreamOffset {
                arguments.entries.removeAll { $0.key == AMQPHeaderName.streamOffset }
                arguments.entries.append((AMQPHeaderName.streamOffset, .integer(resume)))
            }
            _ = try session.consume(channel, queue: queue, arguments: arguments)
        case .polling:
            queueName = ""
        }
        consumer.channel = channel
        self.lastChannelEpoch += 1
        consumer.channelEpoch = self.lastChannelEpoch
        consumer.queueName = queueName
        self.consumerByChannel[channel] = consumer
    }

    /// A channel number above the two fixed ones that no consumer uses, taken in turn (``ChannelNumberRotation``).
    func freeChannelNumber() -> UInt16 {
        self.channelNumbers.take(channelMax: self.session?.channelMax ?? 0) { self.consumerByChannel[$0] == nil }
    }

    /// Acknowledges, requeues or discards, using `multiple` for the longest run of oldest unsettled tags.
    ///
    /// Tags of a channel that is gone are dropped: the broker already gave those deliveries back to the queue, and
    /// the caller was not told otherwise (its inbox refused them since the loss; see ``RabbitMQSettler``).
    func settle(_ request: SettleRequest) throws {
        guard let consumer = self.consumers[request.subscriptionID], let session = self.session,
            request.channelEpoch == consumer.channelEpoch, consumer.channel != 0
        else {
            self.logger.debug(
                "dropped the settlement of deliveries whose channel is gone",
                metadata: ["deliveries": "\(request.amqpTags.count)"])
            return
        }
        consumer.request.inbox.settlementsSent()
        let (upTo, together, singles) = consumer.unsettled.settle(request.amqpTags)
        let channel = consumer.channel
        func send(_ tag: UInt64, multiple: Bool) throws {
            switch request.outcome {
            case .ack: try session.ack(channel, tag: tag, multiple: multiple)
            case .requeue: try session.nack(channel, tag: tag, multiple: multiple, requeue: true)
            case .discard: try session.nack(channel, tag: tag, multiple: multiple, requeue: false)
            }
        }
        if let upTo { try send(upTo, multiple: together > 1) }
        for tag in singles { try send(tag, multiple: false) }
    }

    /// Ends a subscription: closing its channel makes the broker requeue what it had not settled.
    func cancelConsumer(_ subscriptionID: UInt64) throws {
        guard let consumer = self.consumers.removeValue(forKey: subscriptionID) else { return }
        consumer.request.inbox.end()
        guard consumer.channel != 0 else { return }
        self.consumerByChannel[consumer.channel] = nil
        try self.session?.closeChannel(consumer.channel)
    }

    /// The broker cancelled a consumer (its queue was deleted) or closed its channel: end the subscription with
    /// `error`, surfaced to the application by its next receive.
    func consumerEndedByBroker(_ consumer: AMQPConsumer, error: MessageBusError) {
        self.logger.info(
            "RabbitMQ ended a consumer",
            metadata: ["queue": "\(consumer.queueName)", "reason": "\(error.message)"])
        self.consumers[consumer.request.subscriptionID] = nil
        self.consumerByChannel[consumer.channel] = nil
        consumer.assembly = nil
        consumer.request.inbox.end(error: error)
        self.events.emit(.consumerCancelled(queue: consumer.queueName, reason: error.message))
    }
}
