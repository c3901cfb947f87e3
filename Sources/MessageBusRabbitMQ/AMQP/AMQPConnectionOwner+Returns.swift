import Logging
import MessageBus

extension AMQPConnectionOwner {
    /// Records a `basic.return` against the publish it belongs to, which then fails when its confirm arrives.
    ///
    /// RabbitMQ sends the return before the `basic.ack` of the same message, but routable messages published
    /// earlier may still await their confirms, so the return cannot be matched by position. It is matched by
    /// exchange, routing key and message id instead (the id is always sent); returns come in publish order, so
    /// among identical candidates the oldest not yet returned is the right one.
    func noteReturn(_ returned: AMQPContentAssembly.Returned, routingKey: String, messageID: String?) {
        let entry = self.window.elements.first { entry in
            let message = entry.request.messages[entry.index]
            return entry.request.mandatory && entry.request.exchange == returned.exchange
                && (message.key ?? "") == routingKey && message.id == messageID
                && self.returns[entry.sequence] == nil
        }
        guard let entry else {
            self.logger.debug(
                "RabbitMQ returned a message no pending publish matches",
                metadata: ["exchange": "\(returned.exchange)", "routing_key": "\(routingKey)"])
            return
        }
        self.returns[entry.sequence] = MessageBusError(
            .unroutable,
            "RabbitMQ could not route message '\(messageID ?? "")' published to exchange '\(returned.exchange)' with "
                + "routing key '\(routingKey)' to any queue (\(returned.replyCode) \(returned.replyText)); "
                + "subscribe a group to the destination first, or publish without mandatory")
    }
}
