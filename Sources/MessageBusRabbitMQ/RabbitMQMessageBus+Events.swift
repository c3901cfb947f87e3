extension RabbitMQMessageBus {
    /// The connection's events from now on: losses, recoveries (with the endpoint, attempts and republished
    /// count), a recovery that gave up, `connection.blocked` / `unblocked`, and consumers the broker cancelled.
    ///
    /// Each call returns a stream of its own; it keeps the newest 64 events a slow reader has not taken, and ends
    /// when the bus is closed. The same events are logged at `info`.
    public func connectionEvents() -> AsyncStream<RabbitMQConnectionEvent> {
        self.owner.events.stream()
    }
}
