/// What a ``MessageBridge`` run did, returned by ``MessageBridge/run(progress:)``.
public struct MessageBridgeReport: Sendable, Hashable {
    /// Why the run ended.
    public enum StopReason: Sendable, Hashable {
        /// The source was idle for the cut-over duration (``MessageBridgeOptions/cutOverIdle``).
        case cutOver
        /// The task running the bridge was cancelled.
        case cancelled
    }

    /// Why the run ended.
    public var stopReason: StopReason
    /// The figures at the end of the run; its ``MessageBridgeProgress/messagesPerSecond`` is the run's average.
    public var final: MessageBridgeProgress

    /// Creates a report.
    public init(stopReason: StopReason, final: MessageBridgeProgress) {
        self.stopReason = stopReason
        self.final = final
    }

    /// Messages published to the target and acknowledged on the source.
    public var copied: Int { self.final.copied }
    /// Source deliveries skipped because their id was already copied.
    public var duplicatesSkipped: Int { self.final.duplicatesSkipped }
    /// Dead letters moved to the target.
    public var deadLettersMoved: Int { self.final.deadLettersMoved }
    /// How long the run took.
    public var elapsed: Duration { self.final.elapsed }
    /// The first and last positions copied, per source destination and partition.
    public var positions: [MessageBridgePositionRange] { self.final.positions }
}
