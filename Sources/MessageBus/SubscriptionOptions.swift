/// How a subscription receives deliveries.
public struct SubscriptionOptions: Sendable {
    /// Where a new group starts; `nil` means ``StartPosition/earliest`` for a named group and
    /// ``StartPosition/latest`` for a broadcast subscription.
    public var startPosition: StartPosition?
    /// The most deliveries handed out and not yet settled at once (AMQP `basic.qos` prefetch; the Kafka backend's
    /// in-flight limit). A slow handler never makes the subscription hold more than this.
    public var prefetch: Int
    /// Where ``Delivery/reject(reason:)`` sends a message; `<destination>.dlq` when `nil`.
    public var deadLetterDestination: String?

    /// Creates subscription options.
    ///
    /// - Parameters:
    ///   - startPosition: Where a new group starts.
    ///   - prefetch: The most unsettled deliveries at once; at least 1.
    ///   - deadLetterDestination: Where rejected messages go; `<destination>.dlq` by default.
    public init(startPosition: StartPosition? = nil, prefetch: Int = 256, deadLetterDestination: String? = nil) {
        self.startPosition = startPosition
        self.prefetch = prefetch
        self.deadLetterDestination = deadLetterDestination
    }

    /// The dead-letter destination for a subscription to `destination`.
    public func deadLetterDestination(for destination: String) -> String {
        self.deadLetterDestination ?? "\(destination).dlq"
    }

    /// The start position for a subscription in `group` (`nil` for broadcast).
    public func effectiveStartPosition(group: String?) -> StartPosition {
        self.startPosition ?? (group == nil ? .latest : .earliest)
    }

    /// Throws ``MessageBusError/Code/invalidConfiguration`` or ``MessageBusError/Code/unsupported`` for options
    /// the backend cannot honour.
    public func validate(against capabilities: MessageBusCapabilities, backend: String) throws {
        guard self.prefetch >= 1 else {
            throw MessageBusError.invalidConfiguration(
                key: "prefetch", value: String(self.prefetch), expected: "an integer of at least 1")
        }
        if let start = self.startPosition, start.needsReplay, !capabilities.contains(.replay) {
            throw MessageBusError(
                .unsupported, "the \(backend) backend cannot replay from \(start); it starts at .earliest or .latest")
        }
    }
}
