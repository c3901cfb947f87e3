import MessageBus

extension AMQPConnectionStateMachine {
    /// What the owner thread must do after an event, in order.
    enum Action {
        /// Write every message of the request on the publish channel, in order (they just entered the window).
        case write(PublishRequest)
        /// Write every message of the window again, oldest first (a new connection, renumbered from 1).
        case rewriteWindow
        /// Resume the caller of a finished request (the machine already marked it finished).
        case complete(PublishRequest, Result<Void, MessageBusError>)
        /// Resume the caller of a flush or a close.
        case resume(@Sendable (Result<Void, MessageBusError>) -> Void, Result<Void, MessageBusError>)
        /// Fail a command that will never run (the connection gave up).
        case failCommand(ConnectionCommand, MessageBusError)
        /// Tell the application (and the log) about the connection.
        case emit(RabbitMQConnectionEvent)
        /// End a subscription's inbox: its receivers see the end, or the error.
        case endSubscription(RabbitMQInbox, MessageBusError?)
    }
}
