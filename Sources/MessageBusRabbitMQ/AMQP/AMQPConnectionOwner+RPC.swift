import Logging
import MessageBus

/// Request/response on RabbitMQ's direct reply-to: requests are published on the publish channel with
/// `reply-to: amq.rabbitmq.reply-to`, and responses come back to a no-ack consumer of that pseudo-queue on the same
/// channel (RabbitMQ requires both on one channel). No reply queue is declared, so nothing is left behind.
extension AMQPConnectionOwner {
    static let directReplyTo = "amq.rabbitmq.reply-to"

    /// A request waiting for its reply.
    struct PendingReply {
        let exchange: String
        let deadline: ContinuousClock.Instant
        let completion: @Sendable (Result<Message, MessageBusError>) -> Void
    }

    func sendRequest(_ request: RPCRequest) throws {
        guard !request.publish.isFinished else { return }  // it timed out while waiting to be sent
        guard self.pendingReplies[request.correlationID] == nil else {
            let error = MessageBusError(
                .invalidConfiguration,
                "a request with correlation id '\(request.correlationID)' is still waiting for its reply; concurrent "
                    + "requests need distinct correlation ids")
            // Only the caller: the publish's own completion would fail the request already waiting under this id.
            request.completion(.failure(error))
            return
        }
        guard let session = self.session else {
            request.completion(.failure(MessageBusError(.connectionFailed, "RabbitMQ is not connected (recovering)")))
            return
        }
        if !self.isReplyConsumerStarted {
            // Publishing to the pseudo-queue before consuming it would close the publish channel.
            do {
                _ = try session.consume(Self.publishChannel, queue: Self.directReplyTo, noAck: true)
                self.isReplyConsumerStarted = true
            } catch {
                request.completion(.failure(error.messageBusError("consuming direct reply-to")))
                throw error  // the publish channel (or the connection) is gone either way
            }
        }
        self.pendingReplies[request.correlationID] = PendingReply(
            exchange: request.publish.exchange, deadline: request.publish.deadline, completion: request.completion)
        try self.publish(request.publish)
    }

    /// A reply arrived on the publish channel: resume its request (a late reply, after the timeout, is dropped).
    func deliverReply(_ message: Message) {
        guard let correlationID = message.correlationID,
            let pending = self.pendingReplies.removeValue(forKey: correlationID)
        else {
            self.logger.debug("dropped a reply nobody waits for", metadata: ["correlationID": "\(message.correlationID ?? "-")"])
            return
        }
        pending.completion(.success(message))
    }

    /// Fails a request whose publish failed (unroutable, refused), unless its reply already came.
    func failRequest(_ correlationID: String, _ error: MessageBusError) {
        self.pendingReplies.removeValue(forKey: correlationID)?.completion(.failure(error))
    }

    /// Fails every waiting request with `error`: their replies would come to a connection that is gone.
    func failPendingReplies(_ error: MessageBusError) {
        self.isReplyConsumerStarted = false
        let pending = self.pendingReplies
        self.pendingReplies.removeAll()
        for reply in pending.values { reply.completion(.failure(error)) }
    }

    func expireReplies(now: ContinuousClock.Instant) {
        for (correlationID, pending) in self.pendingReplies where pending.deadline < now {
            self.pendingReplies[correlationID] = nil
            pending.completion(.failure(MessageBusError(
                .timeout, "no reply to request '\(correlationID)' sent to '\(pending.exchange)' within its timeout")))
        }
    }
}
