/// A snapshot of a running ``MessageBridge``, handed to the progress callback of ``MessageBridge/run(progress:)``.
public struct MessageBridgeProgress: Sendable, Hashable {
    /// Time since the bridge started.
    public var elapsed: Duration
    /// Messages published to the target and acknowledged on the source (dead letters not included).
    public var copied: Int
    /// Source deliveries acknowledged without being published, because their id was already copied.
    public var duplicatesSkipped: Int
    /// Dead letters published to the target's dead-letter destination.
    public var deadLettersMoved: Int
    /// Source deliveries received and not yet acknowledged.
    public var inFlight: Int
    /// Messages copied per second (dead letters included) since the previous snapshot.
    public var messagesPerSecond: Double
    /// How many messages the source still holds for the bridge, where ``MessageBridgeOptions/sourceLag`` tells;
    /// `nil` when unknown.
    public var sourceLag: Int64?
    /// The first and last positions copied, per source destination and partition.
    public var positions: [MessageBridgePositionRange]

    /// Creates a snapshot.
    public init(
        elapsed: Duration, copied: Int, duplicatesSkipped: Int, deadLettersMoved: Int, inFlight: Int,
        messagesPerSecond: Double, sourceLag: Int64?, positions: [MessageBridgePositionRange]
    ) {
        self.elapsed = elapsed
        self.copied = copied
        self.duplicatesSkipped = duplicatesSkipped
        self.deadLettersMoved = deadLettersMoved
        self.inFlight = inFlight
        self.messagesPerSecond = messagesPerSecond
        self.sourceLag = sourceLag
        self.positions = positions
    }

    /// Messages copied per second over the whole run (dead letters included).
    public var averageMessagesPerSecond: Double {
        let seconds = Double(self.elapsed.components.seconds) + Double(self.elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(self.copied + self.deadLettersMoved) / seconds : 0
    }
}
