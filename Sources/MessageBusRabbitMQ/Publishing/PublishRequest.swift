import MessageBus

/// One batch handed to the connection's owner thread: the messages of one `publish` or `send` call.
///
/// Created by a caller, then owned by the owner thread: the mutable fields are only touched there, which is what
/// makes the `@unchecked Sendable` sound. The completion runs once, on the owner thread, for the whole batch.
final class PublishRequest: @unchecked Sendable {
    let exchange: String
    let messages: [Message]
    let deadline: ContinuousClock.Instant
    /// Whether the broker must route every message to a queue (`basic.return` otherwise).
    let mandatory: Bool
    /// The RabbitMQ-specific AMQP properties of every message; `nil` when none is set.
    let properties: RabbitMQMessageProperties?
    /// Whether this is a request awaiting its reply on direct reply-to: never republished on a new connection,
    /// where its reply could not arrive (and publishing to reply-to without its consumer closes the channel).
    let expectsReply: Bool
    /// Resumes the caller of `publish`; `nil` for `send`, whose failures `flush` reports.
    private let completion: (@Sendable (Result<Void, MessageBusError>) -> Void)?
    /// Messages not yet confirmed (owner thread only).
    var unconfirmed: Int
    /// Whether the completion already ran (owner thread only).
    private(set) var isFinished = false

    init(
        exchange: String, messages: [Message], deadline: ContinuousClock.Instant, mandatory: Bool,
        properties: RabbitMQMessageProperties?, expectsReply: Bool = false,
        completion: (@Sendable (Result<Void, MessageBusError>) -> Void)?
    ) {
        self.exchange = exchange
        self.messages = messages
        self.deadline = deadline
        self.mandatory = mandatory
        self.properties = properties
        self.expectsReply = expectsReply
        self.completion = completion
        self.unconfirmed = messages.count
    }

    /// Whether the caller awaits this batch (`publish`) rather than a later `flush` (`send`).
    var isAwaited: Bool { self.completion != nil }

    /// Marks the batch finished without resuming its caller; returns whether this call finished it. The owner's
    /// ``AMQPConnectionStateMachine`` decides with this, and the owner resumes the caller (``resumeCaller(with:)``).
    func markFinished() -> Bool {
        guard !self.isFinished else { return false }
        self.isFinished = true
        return true
    }

    /// Resumes the caller of `publish` (nothing for `send`) once the batch was marked finished.
    func resumeCaller(with result: Result<Void, MessageBusError>) {
        self.completion?(result)
    }

    /// Completes the batch; later calls do nothing. Returns whether this call completed it.
    @discardableResult
    func finish(_ result: Result<Void, MessageBusError>) -> Bool {
        guard self.markFinished() else { return false }
        self.resumeCaller(with: result)
        return true
    }
}
