internal import CMessageBusRabbitMQ
import Logging
import MessageBus

extension AMQPConnectionOwner {
    /// Performs the actions the state machine returned, in order, and empties the buffer (keeping its storage).
    ///
    /// A write that fails skips the writes after it but not the rest (callers are still resumed), then throws: the
    /// connection is lost, and the messages, already in the window, are republished by the recovery.
    func performActions() throws {
        guard !self.actions.isEmpty else { return }
        var writeFailure: AMQPFailure?
        for action in self.actions {
            switch action {
            case .write(let request):
                guard writeFailure == nil, let session = self.session else { continue }
                for index in request.messages.indices {
                    let status = self.publisher.publish(
                        request, index: index, state: session.state, channel: Self.publishChannel)
                    if status != AMQP_STATUS_OK.rawValue {
                        writeFailure = AMQPFailure.status(status, "basic.publish")
                        break
                    }
                }
            case .rewriteWindow:
                guard writeFailure == nil, let session = self.session else { continue }
                for entry in self.machine.window.elements {
                    let status = self.publisher.publish(
                        entry.request, index: entry.index, state: session.state, channel: Self.publishChannel)
                    if status != AMQP_STATUS_OK.rawValue {
                        writeFailure = AMQPFailure.status(status, "basic.publish (republishing)")
                        break
                    }
                }
            case .complete(let request, let result):
                request.resumeCaller(with: result)
            case .resume(let completion, let result):
                completion(result)
            case .failCommand(let command, let error):
                command.fail(error)
            case .emit(let event):
                self.log(event)
                self.events.emit(event)
            case .endSubscription(let inbox, let error):
                inbox.end(error: error)
            }
        }
        self.actions.removeAll(keepingCapacity: true)
        if let writeFailure { throw writeFailure }
    }

    private func log(_ event: RabbitMQConnectionEvent) {
        switch event {
        case .blocked(let reason):
            self.logger.info("RabbitMQ blocked publishing", metadata: ["reason": "\(reason)"])
        case .unblocked:
            self.logger.info("RabbitMQ unblocked publishing")
        default:
            break  // the owner logs connection loss and recovery with their context
        }
    }
}
