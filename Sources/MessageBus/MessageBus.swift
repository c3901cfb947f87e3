/// One interface to a message broker, whichever broker it is.
///
/// Open one from a URL with ``MessageBusConnector/connect(to:configuration:backends:logger:)``: application code
/// that only uses this protocol runs unchanged on `memory://`, `kafka://` and `amqp://`, which is how a service
/// moves from one broker to another.
///
/// ## Destinations and groups
/// A *destination* is where messages are published (a Kafka topic, a RabbitMQ topic exchange). A *group* is a
/// set of subscribers that share the work: members of one group compete for messages, and every group gets every
/// message (a Kafka consumer group, a durable RabbitMQ queue `<destination>.<group>` bound to the exchange).
/// A subscription without a group is a broadcast subscription: it gets every message published while it exists.
///
/// ## Settling
/// Every delivery is settled once, in any order: ``Delivery/ack()``, ``Delivery/nack(requeue:)`` or
/// ``Delivery/reject(reason:)``. A subscription that ends with unsettled deliveries gives them back to the group.
public protocol MessageBus: Sendable {
    /// The backend's name: `memory`, `kafka` or `rabbitmq`.
    var backend: String { get }

    /// What this backend can do beyond the common core.
    var capabilities: MessageBusCapabilities { get }

    /// The configuration the bus was opened with.
    var configuration: MessageBusConfiguration { get }

    /// Publishes `messages` to `destination` and returns once each is as safe as the configured guarantee
    /// promises: acknowledged by the broker under at-least-once and stronger, handed to the client library under
    /// at-most-once. Per-key order is kept within the batch.
    ///
    /// Never blocks a thread of the cooperative pool; when the client's local queue is full the call waits.
    ///
    /// - Throws: ``MessageBusError`` (``MessageBusError/Code/closed``, ``MessageBusError/Code/messageTooLarge``,
    ///   ``MessageBusError/Code/timeout``, ...), or `CancellationError` when the task is cancelled first (within
    ///   about a second). When it throws, some messages of the batch may have been published: a cancelled publish
    ///   may or may not reach the broker, as at-least-once allows; publish again and let ids deduplicate.
    func publish(contentsOf messages: [Message], to destination: String) async throws

    /// Hands `messages` to the client for publishing without waiting for the broker: the fast path. Call
    /// ``flush()`` to wait until everything sent so far is as safe as the guarantee promises.
    ///
    /// - Throws: ``MessageBusError``, or `CancellationError` when the task is cancelled while the client's local
    ///   queue is full (the messages not yet handed over are not sent).
    func send(contentsOf messages: [Message], to destination: String) async throws

    /// Hands one message to the client for publishing without waiting for the broker; see
    /// ``send(contentsOf:to:)``.
    ///
    /// The default sends a batch of one. A backend implements it where a send loop would otherwise pay, for every
    /// message, for that array and the batch's bookkeeping.
    func send(_ message: Message, to destination: String) async throws

    /// Waits until every message given to ``send(contentsOf:to:)`` is acknowledged by the broker.
    ///
    /// - Throws: the first failure of a sent message since the last flush, or `CancellationError` when the task is
    ///   cancelled first (within about a second; the sent messages go on, and a failure among them is reported by
    ///   the next flush).
    func flush() async throws

    /// Subscribes to `destination`, as a member of `group`, or as a broadcast subscriber when `group` is `nil`.
    ///
    /// When this returns, the group exists on the broker: messages published afterwards reach it.
    ///
    /// - Throws: ``MessageBusError``, or `CancellationError` when the task is cancelled first (within about a
    ///   second); a cancelled subscribe leaves no consumer behind (one the broker was already starting is
    ///   cancelled as soon as it exists).
    func subscribe(to destination: String, group: String?, options: SubscriptionOptions) async throws -> Subscription

    /// Runs `body` in a broker transaction: what it publishes and acknowledges commits when it returns and aborts
    /// when it throws (the error is rethrown).
    ///
    /// A transaction whose task is cancelled before it commits is aborted (its acknowledged deliveries go back to
    /// their groups) and throws `CancellationError`; a transaction waiting for another of the same bus to finish
    /// stops waiting at once.
    ///
    /// A bus runs one transaction at a time, so transactions do not nest: `withTransaction` called inside the body
    /// of another transaction of the same bus (in its task, or in a task started from it while it runs) throws
    /// ``MessageBusError/Code/unsupported`` at once instead of waiting for the outer one forever. Publish and
    /// acknowledge through the outer transaction instead; a transaction on another bus is not affected.
    ///
    /// - Throws: ``MessageBusError/Code/unsupported`` unless the backend has ``MessageBusCapabilities/transactions``
    ///   and the guarantee is ``DeliveryGuarantee/exactlyOnce``, or for a nested transaction.
    func withTransaction<Result: Sendable>(
        _ body: (any MessageBusTransaction) async throws -> Result
    ) async throws -> Result

    /// Returns once the broker has answered a request; throws ``MessageBusError/Code/connectionFailed`` (or
    /// ``MessageBusError/Code/closed``) otherwise.
    func checkReadiness() async throws

    /// Closes the bus: flushes sent messages, commits what was acknowledged, ends every subscription (its
    /// unsettled deliveries go back to their groups) and releases the connection, within `deadline`.
    /// Every later call throws ``MessageBusError/Code/closed``; closing twice does nothing.
    ///
    /// A cancelled close still closes: every later call throws ``MessageBusError/Code/closed`` at once, and the
    /// close stops waiting for the drain (as if `deadline` had passed) and throws `CancellationError` within about
    /// a second; what it could not drain is dropped (Kafka) or finished in the background within `deadline`
    /// (RabbitMQ).
    ///
    /// - Throws: ``MessageBusError/Code/timeout`` naming what could not be drained in time, or `CancellationError`.
    func close(deadline: Duration) async throws
}

extension MessageBus {
    /// Publishes one message; see ``publish(contentsOf:to:)``.
    public func publish(_ message: Message, to destination: String) async throws {
        try await self.publish(contentsOf: [message], to: destination)
    }

    /// Sends one message without waiting for the broker, as a batch of one; see ``send(contentsOf:to:)``.
    public func send(_ message: Message, to destination: String) async throws {
        try await self.send(contentsOf: [message], to: destination)
    }

    /// Subscribes with default options; see ``subscribe(to:group:options:)``.
    public func subscribe(to destination: String, group: String?) async throws -> Subscription {
        try await self.subscribe(to: destination, group: group, options: SubscriptionOptions())
    }

    /// Closes the bus with a ten-second deadline; see ``close(deadline:)``.
    public func close() async throws {
        try await self.close(deadline: .seconds(10))
    }
}
