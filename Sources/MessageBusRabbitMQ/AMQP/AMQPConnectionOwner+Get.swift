internal import CMessageBusRabbitMQ
import MessageBus

extension AMQPConnectionOwner {
    /// `basic.get` on the poller's channel (opened on first use, and again after a recovery or a channel error).
    ///
    /// The message's content frames are read right after `get-ok` (frames of other channels that arrive meanwhile
    /// are queued by rabbitmq-c and read by the loop afterwards). The delivery is tracked like a consumer's, so it
    /// is settled with `basic.ack` / `basic.nack` on the same channel.
    func get(
        from queue: String, poller: SubscribeRequest,
        completion: @Sendable (Result<InboundDelivery?, MessageBusError>) -> Void
    ) throws {
        guard let session = self.session else {
            completion(.failure(MessageBusError(.connectionFailed, "RabbitMQ is not connected (recovering)")))
            return
        }
        do {
            if !self.machine.consumers.pollerHasChannel(poller.subscriptionID) {
                try self.startConsumer(poller, declareGroupQueue: false)
            }
            completion(.success(try self.basicGet(queue, poller: poller.subscriptionID, session: session)))
        } catch let failure as AMQPFailure {
            completion(.failure(failure.messageBusError("getting a message from queue '\(queue)'")))
            switch failure {
            case .channelClosed:
                if let lost = self.machine.consumers.remove(poller.subscriptionID) { self.pollerLostChannel(lost) }
            case .connectionLost:
                throw failure
            }
        }
    }

    /// The broker closed the polling channel (a `get` from a missing queue, say): the deliveries got on it went
    /// back to their queues and can no longer be settled, and the next `get` opens a new channel.
    func pollerLostChannel(_ poller: AMQPConsumerStateMachine.Consumer) {
        _ = poller.request.inbox.connectionLost()
    }

    private func basicGet(_ queue: String, poller: UInt64, session: AMQPSession) throws -> InboundDelivery? {
        guard let current = self.machine.consumers.consumers[poller], current.channel != 0 else { return nil }
        let channel = current.channel
        let noAck = !current.request.inbox.tracksSettlement
        let reply = try withBytes(queue, "") { (queueBytes, _) throws(AMQPFailure) in
            amqp_basic_get(session.state, channel, queueBytes, noAck ? 1 : 0)
        }
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            let failure = AMQPFailure.from(reply, channel: channel)
            if case .channelClosed = failure { session.sendChannelCloseOk(channel) }
            throw failure
        }
        guard reply.reply.id == AMQPMethod.basicGetOk, let decoded = reply.reply.decoded else { return nil }
        let ok = decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        var message = amqp_message_t()
        let read = amqp_read_message(session.state, channel, &message, 0)
        defer { amqp_destroy_message(&message) }
        guard read.reply_type == AMQP_RESPONSE_NORMAL else { throw AMQPFailure.from(read, channel: channel) }
        let properties = withUnsafePointer(to: &message.properties) { AMQPMessageDecoder.properties($0) }
        let (received, attempt) = RabbitMQRedelivery.decode(
            properties, routingKey: ok.routing_key.swiftString, body: message.body.byteArray, redelivered: ok.redelivered != 0)
        guard let consumer = self.machine.consumers.delivered(
            tag: ok.delivery_tag, streamOffset: nil, tracked: !noAck, on: channel)
        else { return nil }
        return InboundDelivery(
            message: received, attempt: attempt, amqpTag: ok.delivery_tag, streamOffset: properties.streamOffset,
            properties: properties.extra,
            channelEpoch: consumer.channelEpoch)
    }
}
