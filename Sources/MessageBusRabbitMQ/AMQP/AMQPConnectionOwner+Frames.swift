internal import CMessageBusRabbitMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import MessageBus

extension AMQPConnectionOwner {
    /// Reads every frame available without waiting (rabbitmq-c sends a due heartbeat on the way), at most a bounded
    /// number per call so that queued commands still run under a flood of deliveries.
    ///
    /// The socket is only read when `poll` found it readable (or once per heartbeat check): asking rabbitmq-c for a
    /// frame with nothing buffered costs a `recv` that finds nothing and a `poll` that waits for nothing.
    func readFrames() throws {
        guard let session = self.session else { return }
        let now = ContinuousClock.now
        let checksSocket = self.isSocketReadable || now - self.lastSocketCheck >= .milliseconds(250)
        self.isSocketReadable = false
        if checksSocket { self.lastSocketCheck = now }
        var frame = amqp_frame_t()
        var noWait = timeval(tv_sec: 0, tv_usec: 0)
        for index in 0..<4096 {
            let isBuffered = amqp_data_in_buffer(session.state) != 0 || amqp_frames_enqueued(session.state) != 0
            guard isBuffered || (checksSocket && index == 0) else { return }
            let status = amqp_simple_wait_frame_noblock(session.state, &frame, &noWait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return }
            guard status == AMQP_STATUS_OK.rawValue else { throw AMQPFailure.status(status, "reading a frame") }
            try self.handle(frame, session: session)
            amqp_maybe_release_buffers_on_channel(session.state, frame.channel)
        }
    }

    /// Hands what arrived since the last call to the subscriptions' inboxes, one append per subscription.
    func handOutArrived() {
        guard !self.arrived.isEmpty else { return }
        for (inbox, deliveries) in self.arrived.values { inbox.append(deliveries) }
        self.arrived.removeAll(keepingCapacity: true)
    }

    private func handle(_ frame: amqp_frame_t, session: AMQPSession) throws {
        let channel = frame.channel
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            try self.handleMethod(frame.payload.method, channel: channel, session: session)
        case AMQP_FRAME_HEADER, AMQP_FRAME_BODY:
            if channel == Self.publishChannel {
                guard self.publishChannelAssembly != nil else { return }
                self.publishChannelAssembly!.add(frame)
                if self.publishChannelAssembly!.isComplete, let assembly = self.publishChannelAssembly.take() {
                    self.completeOnPublishChannel(assembly)
                }
            } else if self.consumerAssemblies[channel] != nil {
                self.consumerAssemblies[channel]!.add(frame)
                if self.consumerAssemblies[channel]!.isComplete, let assembly = self.consumerAssemblies[channel].take() {
                    self.complete(assembly, on: channel)
                }
            }
        default:
            return  // heartbeats: rabbitmq-c already noted that the broker is alive
        }
    }

    private func handleMethod(_ method: amqp_method_t, channel: UInt16, session: AMQPSession) throws {
        guard let decoded = method.decoded else { return }
        switch method.id {
        case AMQPMethod.basicDeliver:
            let deliver = decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            let assembly = AMQPContentAssembly(
                returned: nil, deliveryTag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
                routingKey: deliver.routing_key.swiftString)
            if channel == Self.publishChannel {
                self.publishChannelAssembly = assembly  // an RPC reply (direct reply-to)
            } else if self.machine.consumers.consumer(on: channel) != nil {
                self.consumerAssemblies[channel] = assembly
            }
        case AMQPMethod.basicReturn:
            let returned = decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            guard channel == Self.publishChannel else { return }
            self.publishChannelAssembly = AMQPContentAssembly(
                returned: AMQPContentAssembly.Returned(
                    replyCode: returned.reply_code, replyText: returned.reply_text.swiftString,
                    exchange: returned.exchange.swiftString),
                deliveryTag: 0, redelivered: false, routingKey: returned.routing_key.swiftString)
        case AMQPMethod.basicAck where channel == Self.publishChannel:
            let ack = decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            self.machine.confirm(upTo: ack.delivery_tag, multiple: ack.multiple != 0, ok: true, into: &self.actions)
            try self.performActions()
        case AMQPMethod.basicNack where channel == Self.publishChannel:
            let nack = decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            self.machine.confirm(upTo: nack.delivery_tag, multiple: nack.multiple != 0, ok: false, into: &self.actions)
            try self.performActions()
        case AMQPMethod.basicCancel:
            guard case .ended(let consumer) = self.machine.consumers.channelLost(channel) else { return }
            let error = MessageBusError(
                .unknownDestination,
                "RabbitMQ cancelled the consumer of queue '\(consumer.queueName)' (the queue was deleted or its "
                    + "node went away); the subscription to \(consumer.request.summary) has ended")
            self.consumerEndedByBroker(consumer, error: error)
            try session.closeChannel(channel)
        case AMQPMethod.channelClose:
            let close = decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            session.sendChannelCloseOk(channel)
            try self.channelClosedByBroker(channel, code: close.reply_code, text: close.reply_text.swiftString)
        case AMQPMethod.connectionClose:
            let close = decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            session.sendConnectionCloseOk()
            throw AMQPFailure.connectionLost(code: close.reply_code, text: close.reply_text.swiftString)
        case AMQPMethod.connectionBlocked:
            let blocked = decoded.assumingMemoryBound(to: amqp_connection_blocked_t.self).pointee
            self.machine.blocked(reason: blocked.reason.swiftString, into: &self.actions)
            try self.performActions()
        case AMQPMethod.connectionUnblocked:
            self.machine.unblocked(into: &self.actions)
            try self.performActions()
        default:
            return
        }
    }

    private func channelClosedByBroker(_ channel: UInt16, code: UInt16, text: String) throws {
        let failure = AMQPFailure.channelClosed(channel: channel, code: code, text: text)
        switch channel {
        case Self.publishChannel:
            self.publishChannelAssembly = nil
            // The confirms of everything in flight died with the channel; fail them rather than guess.
            let error = failure.messageBusError("publishing")
            self.machine.publishChannelClosed(error, into: &self.actions)
            try self.performActions()
            self.failPendingReplies(error)
            try self.session?.openChannel(Self.publishChannel)
            try self.session?.selectConfirms(Self.publishChannel)
        case Self.topologyChannel:
            try self.reopenTopologyChannel()
        default:
            switch self.machine.consumers.channelLost(channel) {
            case .unknown:
                return
            case .pollerReset(let poller):
                self.pollerLostChannel(poller)
            case .ended(let consumer):
                self.consumerEndedByBroker(consumer, error: failure.messageBusError("consuming '\(consumer.queueName)'"))
            }
        }
    }

    /// A message read on the publish channel: a returned mandatory publish, or a reply to a request.
    private func completeOnPublishChannel(_ assembly: AMQPContentAssembly) {
        if let returned = assembly.returned {
            self.noteReturn(returned, routingKey: assembly.routingKey, messageID: assembly.properties.id?.text)
        } else {
            self.deliverReply(
                AMQPMessageDecoder.message(assembly.properties, routingKey: assembly.routingKey, body: assembly.body))
        }
    }

    private func complete(_ assembly: AMQPContentAssembly, on channel: UInt16) {
        guard let consumer = self.machine.consumers.delivered(
            tag: assembly.deliveryTag, streamOffset: assembly.properties.streamOffset, tracked: true, on: channel)
        else { return }
        let (message, attempt) = RabbitMQRedelivery.decode(
            assembly.properties, routingKey: assembly.routingKey, body: assembly.body, redelivered: assembly.redelivered)
        let delivery = InboundDelivery(
            message: message, attempt: attempt, amqpTag: assembly.deliveryTag, streamOffset: assembly.properties.streamOffset,
            properties: assembly.properties.extra,
            channelEpoch: consumer.channelEpoch)
        let inbox = consumer.request.inbox
        self.arrived[ObjectIdentifier(inbox), default: (inbox, [])].1.append(delivery)
    }
}
