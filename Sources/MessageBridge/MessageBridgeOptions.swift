public import MessageBus

/// How a ``MessageBridge`` copies: batch sizes, the in-flight bound, de-duplication, cut-over and dead letters.
public struct MessageBridgeOptions: Sendable {
    /// The most messages taken from the source and published to the target in one batch (one confirmed
    /// ``/MessageBus/MessageBus/publish(contentsOf:to:)`` per target destination, one store transaction). Default
    /// 500.
    public var batchSize: Int
    /// The most source deliveries received and not yet acknowledged at once: the source subscription's prefetch,
    /// and so the bound on the bridge's memory. At least ``batchSize``; default 2,000.
    public var maxInFlight: Int
    /// Where ids of copied messages are remembered, so that a message redelivered by the source (after a restart,
    /// a rebalance or a requeue) is acknowledged without being published again. Use a
    /// ``SQLiteDeduplicationStore`` on a file to survive restarts; `nil` disables de-duplication.
    public var deduplicationStore: (any DeduplicationStore)?
    /// The target destination for a message read from a source destination; the same name by default.
    public var targetDestination: @Sendable (String) -> String
    /// When set, ``MessageBridge/run(progress:)`` returns once the source has been idle this long (nothing received,
    /// nothing in flight and, where ``sourceLag`` tells, a lag of zero): the cut-over mode. `nil` runs until the
    /// task is cancelled.
    public var cutOverIdle: Duration?
    /// Whether the source's dead letters (`<destination>.dlq`, read as the same group) are copied too, to the
    /// target's destination of the same name (through ``targetDestination``).
    public var deadLetters: Bool
    /// How often the progress callback is called. Default one second.
    public var progressInterval: Duration
    /// How many messages the source still holds for the bridge, where the caller can tell (the Kafka backend's
    /// consumer lag, a RabbitMQ queue's message count); `nil` when unknown. Reported in progress and required to be
    /// zero by the cut-over when given.
    public var sourceLag: (@Sendable () async throws -> Int64)?
    /// How long one receive from the source waits for a first message before the bridge checks its idle time.
    public var pollInterval: Duration

    /// Creates options.
    ///
    /// - Parameters:
    ///   - batchSize: The most messages per published batch; at least 1.
    ///   - maxInFlight: The most unacknowledged source deliveries; at least `batchSize`.
    ///   - deduplicationStore: Where copied ids are remembered; `nil` disables de-duplication.
    ///   - targetDestination: Maps a source destination to its target destination; identity by default.
    ///   - cutOverIdle: Stop after the source has been idle this long; `nil` runs until cancelled.
    ///   - deadLetters: Copy `<destination>.dlq` too.
    ///   - progressInterval: How often progress is reported.
    ///   - sourceLag: How far behind the source is, where the caller can tell.
    ///   - pollInterval: How long one receive waits for a first message.
    public init(
        batchSize: Int = 500,
        maxInFlight: Int = 2_000,
        deduplicationStore: (any DeduplicationStore)? = nil,
        targetDestination: @escaping @Sendable (String) -> String = { $0 },
        cutOverIdle: Duration? = nil,
        deadLetters: Bool = false,
        progressInterval: Duration = .seconds(1),
        sourceLag: (@Sendable () async throws -> Int64)? = nil,
        pollInterval: Duration = .milliseconds(200)
    ) {
        self.batchSize = batchSize
        self.maxInFlight = maxInFlight
        self.deduplicationStore = deduplicationStore
        self.targetDestination = targetDestination
        self.cutOverIdle = cutOverIdle
        self.deadLetters = deadLetters
        self.progressInterval = progressInterval
        self.sourceLag = sourceLag
        self.pollInterval = pollInterval
    }

    /// Throws ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming the first option out of range.
    public func validate() throws {
        guard self.batchSize >= 1 else {
            throw MessageBusError.invalidConfiguration(
                key: "batchSize", value: String(self.batchSize), expected: "at least 1")
        }
        guard self.maxInFlight >= self.batchSize else {
            throw MessageBusError.invalidConfiguration(
                key: "maxInFlight", value: String(self.maxInFlight), expected: "at least batchSize (\(self.batchSize))")
        }
        if let idle = self.cutOverIdle, idle <= .zero {
            throw MessageBusError.invalidConfiguration(
                key: "cutOverIdle", value: "\(idle)", expected: "a positive duration")
        }
        for (key, value) in [("progressInterval", self.progressInterval), ("pollInterval", self.pollInterval)]
        where value <= .zero {
            throw MessageBusError.invalidConfiguration(key: key, value: "\(value)", expected: "a positive duration")
        }
    }
}
