public import MessageBus

/// What a ``MessageBridge`` consumes on its source bus.
///
/// Usually a destination read as a subscriber group (``destination(_:group:)``): the group remembers what the
/// bridge acknowledged, so a restarted bridge resumes where it stopped. Anything else a backend can subscribe to
/// goes through ``subscription(_:open:)``, for example a RabbitMQ queue or several Kafka topics:
///
/// ```swift
/// let source = MessageBridgeSource.subscription("queue 'invoices'") { options in
///     try await rabbit.subscribe(toQueue: "invoices", options: options)
/// }
/// let topics = MessageBridgeSource.subscription("topics ^orders\\..*") { options in
///     try await kafka.subscribe(matching: "^orders\\..*", group: "bridge", options: options)
/// }
/// ```
///
/// Each delivery is published to the target under its own ``/MessageBus/Delivery/destination`` (the topic it was read
/// from, or the queue's name), unless ``MessageBridgeOptions/targetDestination`` maps it elsewhere.
public struct MessageBridgeSource: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case destination(String, group: String)
        case custom(String, open: @Sendable (SubscriptionOptions) async throws -> Subscription)
    }

    let kind: Kind

    /// Consumes `destination` as a member of subscriber group `group`.
    ///
    /// A new group starts at the earliest message the source still holds, so the whole backlog is copied.
    public static func destination(_ destination: String, group: String) -> MessageBridgeSource {
        MessageBridgeSource(kind: .destination(destination, group: group))
    }

    /// Consumes the subscription `open` returns; `open` receives the options the bridge needs (its prefetch) and
    /// must pass them on. `name` describes the source in logs and errors.
    ///
    /// Dead letters (``MessageBridgeOptions/deadLetters``) are bridged for ``destination(_:group:)`` sources only.
    public static func subscription(
        _ name: String, open: @escaping @Sendable (SubscriptionOptions) async throws -> Subscription
    ) -> MessageBridgeSource {
        MessageBridgeSource(kind: .custom(name, open: open))
    }

    /// `destination 'D' (group 'G')`, or the name given to ``subscription(_:open:)``.
    public var description: String {
        switch self.kind {
        case .destination(let destination, let group): "destination '\(destination)' (group '\(group)')"
        case .custom(let name, _): name
        }
    }

    /// Opens the subscription on `bus` with `options`.
    func open(on bus: any MessageBus, options: SubscriptionOptions) async throws -> Subscription {
        switch self.kind {
        case .destination(let destination, let group):
            try await bus.subscribe(to: destination, group: group, options: options)
        case .custom(_, let open):
            try await open(options)
        }
    }

    /// The source of the dead letters of this one: `<destination>.dlq`, read as the same group.
    func deadLetterSource(options: SubscriptionOptions) throws -> MessageBridgeSource {
        guard case .destination(let destination, let group) = self.kind else {
            throw MessageBusError(
                .unsupported,
                "dead letters are bridged for a destination and group only, not for \(self.description): "
                    + "bridge its dead-letter destination as a source of its own")
        }
        return .destination(options.deadLetterDestination(for: destination), group: group)
    }
}
