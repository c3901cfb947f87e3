import Logging
import MessageBus

extension AMQPConnectionOwner {
    /// Records a `basic.return` against the publish it belongs to, which then fails when its confirm arrives (see
    /// ``AMQPConnectionStateMachine/noteReturn(exchange:routingKey:messageID:replyCode:replyText:)``).
    func noteReturn(_ returned: AMQPContentAssembly.Returned, routingKey: String, messageID: String?) {
        let matched = self.machine.noteReturn(
            exchange: returned.exchange, routingKey: routingKey, messageID: messageID, replyCode: returned.replyCode,
            replyText: returned.replyText)
        if !matched {
            self.logger.debug(
                "RabbitMQ returned a message no pending publish matches",
                metadata: ["exchange": "\(returned.exchange)", "routing_key": "\(routingKey)"])
        }
    }
}
