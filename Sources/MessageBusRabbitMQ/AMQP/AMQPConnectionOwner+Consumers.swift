import Logging
import MessageBus

extension AMQPConnectionOwner {
    /// Declares the subscription's topology on a channel of its own and starts its consumer.
    func subscribe(_ request: SubscribeRequest) throws {
        guard self.session != nil else {
            request.completion(.failure(MessageBusError(.connectionFailed, "RabbitMQ is not connected (recovering)")))
            return
        }
        do {
            try self.startConsumer(request, declareGroupQueue: true)
            request.completion(.success(()))
        } catch let failure as AMQPFailure {
            guard case .connectionLost = failure else {
                request.completion(.failure(failure.messageBusError("subscribing to \(request.summary)")))
                return
            }
            if self.machine.retryAfterRecovery(.subscribe(request)) {
                self.logRetryAfterRecovery("subscribing to \(request.summary)", attempt: request.attempt, failure)
            } else {
                request.completion(.failure(failure.messageBusError("subscribing to \(request.summary)")))
            }
            throw failure
        }
    }

    /// Opens a channel for `request`, sets its prefetch, declares exchange, dead-letter exchange, queue and
    /// binding, and registers `basic.consume`; the state machine then knows the subscription on that channel. On a
    /// channel error the channel is released (the broker closed it) and the error thrown.
    func startConsumer(_ request: SubscribeRequest, declareGroupQueue: Bool) throws {
        guard let session = self.session else { throw AMQPFailure.connectionLost(code: nil, text: "not connected") }
        let channel = self.machine.consumers.channelToOpen(channelMax: session.channelMax)
        try session.openChannel(channel)
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
            if let resume = self.machine.consumers.consumers[request.subscriptionID]?.nextStreamOffset {
                arguments.entries.removeAll { $0.key == AMQPHeaderName.streamOffset }
                arguments.entries.append((AMQPHeaderName.streamOffset, .integer(resume)))
            }
            _ = try session.consume(channel, queue: queue, arguments: arguments)
        case .polling:
            queueName = ""
        }
        self.consumerAssemblies[channel] = nil
        self.machine.consumers.started(request, channel: channel, queueName: queueName)
    }

    /// Acknowledges, requeues or discards, using `multiple` for the longest run of oldest unsettled tags.
    ///
    /// Tags of a channel that is gone are dropped: the broker already gave those deliveries back to the queue, and
    /// the caller was not told otherwise (its inbox refused them since the loss; see ``RabbitMQSettler``).
    func settle(_ request: SettleRequest) throws {
        guard let session = self.session, let inbox = self.machine.consumers.settle(request, into: &self.settlementFrames)
        else {
            self.logger.debug(
                "dropped the settlement of deliveries whose channel is gone",
                metadata: ["deliveries": "\(request.amqpTags.count)"])
            return
        }
        inbox.settlementsSent()
        defer { self.settlementFrames.removeAll(keepingCapacity: true) }
        for frame in self.settlementFrames {
            switch frame.outcome {
            case .ack: try session.ack(frame.channel, tag: frame.tag, multiple: frame.multiple)
            case .requeue: try session.nack(frame.channel, tag: frame.tag, multiple: frame.multiple, requeue: true)
            case .discard: try session.nack(frame.channel, tag: frame.tag, multiple: frame.multiple, requeue: false)
            }
        }
    }

    /// Ends a subscription: closing its channel makes the broker requeue what it had not settled.
    func cancelConsumer(_ subscriptionID: UInt64) throws {
        guard let consumer = self.machine.consumers.remove(subscriptionID) else { return }
        consumer.request.inbox.end()
        guard consumer.channel != 0 else { return }
        self.consumerAssemblies[consumer.channel] = nil
        try self.session?.closeChannel(consumer.channel)
    }

    /// The broker cancelled a consumer (its queue was deleted) or closed its channel; the state machine has
    /// forgotten it. The subscription ends with `error`, surfaced to the application by its next receive.
    func consumerEndedByBroker(_ consumer: AMQPConsumerStateMachine.Consumer, error: MessageBusError) {
        self.logger.info(
            "RabbitMQ ended a consumer",
            metadata: ["queue": "\(consumer.queueName)", "reason": "\(error.message)"])
        self.consumerAssemblies[consumer.channel] = nil
        consumer.request.inbox.end(error: error)
        self.events.emit(.consumerCancelled(queue: consumer.queueName, reason: error.message))
    }
}
