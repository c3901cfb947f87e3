import MessageBus

extension AMQPConnectionStateMachine {
    /// A `basic.ack` (`ok`) or `basic.nack` on the publish channel, for `tag` or, with `multiple`, every message up
    /// to it.
    mutating func confirm(upTo tag: UInt64, multiple: Bool, ok: Bool, into actions: inout [Action]) {
        if multiple {
            while let head = self.window.first, head.sequence <= tag {
                _ = self.window.popFirst()
                self.settle(head, ok: ok, into: &actions)
            }
        } else {
            self.outOfOrderConfirms[tag] = ok
        }
        // Requests complete in the order they were written: a confirm for a later message waits for the head's.
        while let head = self.window.first, let result = self.outOfOrderConfirms.removeValue(forKey: head.sequence) {
            _ = self.window.popFirst()
            self.settle(head, ok: result, into: &actions)
        }
        self.completeFlushes(into: &actions)
    }

    private mutating func settle(_ entry: PendingConfirm, ok: Bool, into actions: inout [Action]) {
        if let unroutable = self.returns.removeValue(forKey: entry.sequence) {
            self.fail(entry.request, unroutable, into: &actions)
        } else if ok {
            entry.request.unconfirmed -= 1
            if entry.request.unconfirmed == 0, entry.request.markFinished() {
                actions.append(.complete(entry.request, .success(())))
            }
        } else {
            let id = entry.request.messages[entry.index].id
            self.fail(entry.request, MessageBusError(
                .brokerError, "RabbitMQ refused message '\(id)' published to '\(entry.request.exchange)' (basic.nack)"),
                into: &actions)
        }
    }

    /// Completes the flushes whose messages are all confirmed, with the first `send` failure since the last flush.
    mutating func completeFlushes(into actions: inout [Action]) {
        let confirmedBefore = self.window.first?.ordinal ?? self.nextOrdinal
        guard self.flushes.contains(where: { $0.ordinal < confirmedBefore }) else { return }
        let failure = self.sendFailure
        self.sendFailure = nil
        let result: Result<Void, MessageBusError> = failure.map { .failure($0) } ?? .success(())
        for flush in self.flushes where flush.ordinal < confirmedBefore {
            actions.append(.resume(flush.completion, result))
        }
        self.flushes.removeAll { $0.ordinal < confirmedBefore }
    }

    /// A `basic.return`: the mandatory message it names fails when its confirm arrives. Returns whether a message
    /// in the window matched.
    ///
    /// RabbitMQ sends the return before the `basic.ack` of the same message, but routable messages published
    /// earlier may still await their confirms, so the return cannot be matched by position. It is matched by
    /// exchange, routing key and message id instead (the id is always sent); returns come in publish order, so
    /// among identical candidates the oldest not yet returned is the right one.
    mutating func noteReturn(
        exchange: String, routingKey: String, messageID: String?, replyCode: UInt16, replyText: String
    ) -> Bool {
        let entry = self.window.elements.first { entry in
            let message = entry.request.messages[entry.index]
            return entry.request.mandatory && entry.request.exchange == exchange
                && (message.key ?? "") == routingKey && message.id == messageID
                && self.returns[entry.sequence] == nil
        }
        guard let entry else { return false }
        self.returns[entry.sequence] = MessageBusError(
            .unroutable,
            "RabbitMQ could not route message '\(messageID ?? "")' published to exchange '\(exchange)' with "
                + "routing key '\(routingKey)' to any queue (\(replyCode) \(replyText)); "
                + "subscribe a group to the destination first, or publish without mandatory")
        return true
    }
}
