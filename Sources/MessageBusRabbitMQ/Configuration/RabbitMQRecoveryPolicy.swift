/// How a lost connection is re-established: on by default, as in RabbitMQ's official clients.
public struct RabbitMQRecoveryPolicy: Sendable, Hashable {
    /// Whether a lost connection is recovered at all. When `false`, the bus fails every pending call with
    /// ``/MessageBus/MessageBusError/Code/connectionFailed`` and closes.
    public var isEnabled: Bool
    /// The wait before the first reconnection attempt; doubled after each failed round over every host.
    public var initialBackoff: Duration
    /// The longest wait between two rounds.
    public var maximumBackoff: Duration
    /// How long recovery may take in all before pending publishes fail and the bus gives up; `nil` retries forever.
    public var giveUpAfter: Duration?

    /// Creates a recovery policy.
    ///
    /// - Parameters:
    ///   - isEnabled: Whether to recover at all.
    ///   - initialBackoff: The first wait.
    ///   - maximumBackoff: The longest wait.
    ///   - giveUpAfter: The longest recovery; forever when `nil`.
    public init(
        isEnabled: Bool = true,
        initialBackoff: Duration = .milliseconds(200),
        maximumBackoff: Duration = .seconds(5),
        giveUpAfter: Duration? = .seconds(300)
    ) {
        self.isEnabled = isEnabled
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.giveUpAfter = giveUpAfter
    }

    /// No recovery: a lost connection closes the bus.
    public static let disabled = RabbitMQRecoveryPolicy(isEnabled: false)
}
