/// How a subscription receives deliveries.
public struct SubscriptionOptions: Sendable {
    /// Where a new group starts; `nil` means ``StartPosition/earliest`` for a named group and
    /// ``StartPosition/latest`` for a broadcast subscription.
    public var startPosition: StartPosition?
    /// The most deliveries handed out and not yet settled at once (AMQP `basic.qos` prefetch; the Kafka backend's
    /// in-flight limit). A slow handler never makes the subscription hold more than this.
    ///
    /// `nil` (the default) takes the backend's own default: 256 on RabbitMQ and in memory, where the prefetch also
    /// decides how a queue's messages are shared among the group's consumers; 1,024 on Kafka, where a partition has
    /// one consumer in the group and the limit only bounds what the subscription holds. With 256 a Kafka consumer
    /// thread waited for the application to settle its half of the window so often that the hand-off, not the
    /// work, set the pace (issue #9: 0.4-0.5 M against 0.65-0.8 M msg/s with 1,024, same machine and run).
    public var prefetch: Int?
    /// Where ``Delivery/reject(reason:)`` sends a message; `<destination>.dlq` when `nil`.
    public var deadLetterDestination: String?

    /// Creates subscription options.
    ///
    /// - Parameters:
    ///   - startPosition: Where a new group starts.
    ///   - prefetch: The most unsettled deliveries at once; at least 1; the backend's default when `nil`.
    ///   - deadLetterDestination: Where rejected messages go; `<destination>.dlq` by default.
    public init(startPosition: StartPosition? = nil, prefetch: Int? = nil, deadLetterDestination: String? = nil) {
        self.startPosition = startPosition
        self.prefetch = prefetch
        self.deadLetterDestination = deadLetterDestination
    }

    /// The dead-letter destination for a subscription to `destination`.
    public func deadLetterDestination(for destination: String) -> String {
        self.deadLetterDestination ?? "\(destination).dlq"
    }

    /// The prefetch a backend applies: ``prefetch``, or the backend's `default` when that is `nil`.
    public func effectivePrefetch(default backendDefault: Int) -> Int {
        self.prefetch ?? backendDefault
    }

    /// The start position for a subscription in `group` (`nil` for broadcast).
    public func effectiveStartPosition(group: String?) -> StartPosition {
        self.startPosition ?? (group == nil ? .latest : .earliest)
    }

    /// Throws ``MessageBusError/Code/invalidConfiguration`` or ``MessageBusError/Code/unsupported`` for options
    /// the backend cannot honour.
    public func validate(against capabilities: MessageBusCapabilities, backend: String) throws {
        if let prefetch = self.prefetch, prefetch < 1 {
            throw MessageBusError.invalidConfiguration(
                key: "prefetch", value: String(prefetch), expected: "an integer of at least 1")
        }
        if let start = self.startPosition, start.needsReplay, !capabilities.contains(.replay) {
            throw MessageBusError(
                .unsupported, "the \(backend) backend cannot replay from \(start); it starts at .earliest or .latest")
        }
    }
}
